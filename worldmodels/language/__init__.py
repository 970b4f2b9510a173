"""Language models behind one interface: an embedded offline model and OpenAI-compatible servers.

``build_language_model(cfg)`` builds one from the ``llm`` hydra group (embedded, openai,
local_server); ``python -m worldmodels.language.serve`` serves the embedded model over HTTP.
"""

from planning.lazy_exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "AuthenticationFailedError": "worldmodels.language.types",
        "ChatRequest": "worldmodels.language.types",
        "Completion": "worldmodels.language.types",
        "EndpointUnreachableError": "worldmodels.language.types",
        "LanguageModel": "worldmodels.language.base",
        "LanguageModelError": "worldmodels.language.types",
        "Message": "worldmodels.language.types",
        "ModelNotFoundError": "worldmodels.language.types",
        "Pricing": "worldmodels.language.accounting",
        "RequestTimeoutError": "worldmodels.language.types",
        "ResponseCache": "worldmodels.language.cache",
        "RunUsage": "worldmodels.language.accounting",
        "StructuredOutputError": "worldmodels.language.types",
        "Usage": "worldmodels.language.types",
        "build_language_model": "worldmodels.language.config",
    },
)
