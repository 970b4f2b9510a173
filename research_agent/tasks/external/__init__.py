"""Tasks in other benchmarks' layouts (MLGym, MLE-bench), graded by their own graders.

``task=mlgym:<task config>`` / ``task=mlebench:<folder>`` turn a user's task into a
:class:`~research_agent.tasks.spec.TaskFolder` whose ``grader`` runs the task's own evaluation
script (or grade function) in a subprocess outside the sandbox. Each layout is one class
(:class:`~research_agent.tasks.external.layout.ExternalLayout`: read, write the view, grader;
:mod:`.mlgym`, :mod:`.mlebench`); the parts they share, by job:

* :mod:`.view`: the solution runs sandboxed on a *view* folder
  (``<cache>/external/<layout>-<id>-<hash>/``) holding links to the public files only, and
  writes ``submission.csv`` into its workspace;
* :mod:`.grading`: the grader copies that one file into a private grading folder, runs the
  task's grader there (where the held-out answers are in reach) and reads the score from the
  grader's JSON (or the grade function's return value), never from what the solution printed.

Held-out answers never steer the search: a validation split is held out of the training data
(:mod:`.validation_split`: the task's own validation file, else 20% of ``train.csv``,
seeded and stratified), published as ``val.csv`` without its answers; the solution also writes
``val_submission.csv`` for it, which the task's grader scores against the split's answers
(``private/val_answers.csv`` of the view). That "val" score is every score the search and the
selection see; "test" (``submission.csv`` against the held-out answers) is graded once, for
the final solution.

Tabular CSV tasks (a two-column sample submission: an id and a target that ``train.csv``
has) also get the built-in ``*_X.npy`` / ``train_y.npy`` files, so the programmatic
operators' templates run on them; a workspace with ``<split>_predictions.npy`` and no
submission file of that split is turned into one (:mod:`.tabular`).
"""
