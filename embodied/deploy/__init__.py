"""Robot deployment through a ROS bridge: ``python -m embodied.deploy`` and a simulated robot.

Modules: ``config`` (schemas), ``messages`` (decode observations, encode commands, reject bad
messages), ``ros1``/``rosbridge`` (transports), ``safety`` (clamps, watchdog, e-stop),
``recording`` (rosbag of a session, replay), ``loop`` (the fixed-rate control loop), ``app``
(the entry point), ``sim_robot`` (a simulator scene as a ROS node).
"""
