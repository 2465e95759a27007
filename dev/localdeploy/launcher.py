"""Start LocalStack's community core on this host, offline, with hookgate's patches.

Run with the Python of LocalStack's own virtualenv (`dev.localdeploy.stack` makes it); it does
what `python -m localstack.runtime.main` does, after five patches. Each is for one thing the
community core (localstack-core 2026.3.0, pinned exactly: the patches reach into its internals,
and the project is archived, so the pin cannot drift) lacks or does differently here:

1. Layers. The community core stores layer versions but only LocalStack Pro copies them into
   function containers, and hookgate's code is in its layer. Through LocalStack's own
   `lambda_start_docker_executor` hook, each layer's content is copied to /opt, as Lambda does.
2. Runtime images. LocalStack pulls the runtime image before a function's first use and fails
   without a registry. An image already present (the one `make sam-local` builds) is used.
3. Listening address. Its server binds 0.0.0.0 whatever GATEWAY_LISTEN says (a TODO in its
   code), which would put an unauthenticated AWS on every interface. It binds exactly the
   addresses listed: loopback, and the Docker network's gateway the function containers call.
4. DynamoDB Local. LocalStack starts it with a Java agent (a patch for tables with more than 20
   global secondary indexes) that it downloads from GitHub. hookgate's table has none, so
   DynamoDB Local starts without it.
5. SAM references. Before running the SAM transform, LocalStack's change sets resolve every
   reference of the untransformed template, looking for `Fn::Transform` macros. SAM's own
   `<Api>.Stage` (which the custom domain's base-path mapping needs, so that it waits for the
   stage) does not exist until the transform, so any stack with DomainName set was refused.
   That pass runs only when the template has an `Fn::Transform`, which hookgate's has not.
"""

from __future__ import annotations

import json
import logging
from typing import Any

LOG = logging.getLogger("hookgate.localdeploy")


def copy_layers_to_opt() -> None:
    from localstack.services.lambda_ import hooks

    run_hook = hooks.start_docker_executor.run

    def run(container_config: Any, function_version: Any) -> None:
        run_hook(container_config, function_version)
        for layer in function_version.config.layers or ():
            if layer.code is not None:
                layer.code.prepare_for_execution()
                unzipped = layer.code.get_unzipped_code_location()
                container_config.copy_folders.append((f"{unzipped}/.", "/opt"))
                LOG.info("layer %s goes to /opt", layer.layer_version_arn)

    hooks.start_docker_executor.run = run


def use_present_images() -> None:
    from localstack.services.lambda_.invocation import docker_runtime_executor as executor
    from localstack.utils.docker_utils import DOCKER_CLIENT

    pull = executor._ensure_runtime_image_present

    def ensure_present(image: str, platform: Any) -> None:
        try:
            DOCKER_CLIENT.inspect_image(image, pull=False)
        except Exception:  # any failure: let LocalStack try its own pull
            pull(image, platform)
            return
        executor.PULLED_IMAGES.add((image, platform))

    executor._ensure_runtime_image_present = ensure_present


def bind_only_listed_addresses() -> None:
    from localstack.runtime.server import twisted as server
    from twisted.internet import endpoints

    register = server.TwistedRuntimeServer.register

    def register_bound(self: Any, gateway: Any, listen: list[Any], *args: Any) -> Any:
        # LocalStack makes one IPv4 endpoint per entry, in order, without an interface.
        interfaces = [entry.host for entry in listen if ":" not in entry.host]

        def tcp4(reactor: Any, port: int, **options: Any) -> Any:
            return endpoints.TCP4ServerEndpoint(reactor, port, interface=interfaces.pop(0))

        class Endpoints:
            TCP4ServerEndpoint = staticmethod(tcp4)
            TCP6ServerEndpoint = endpoints.TCP6ServerEndpoint

        server.endpoints = Endpoints
        try:
            return register(self, gateway, listen, *args)
        finally:
            server.endpoints = endpoints

    server.TwistedRuntimeServer.register = register_bound


def dynamodb_without_java_agent() -> None:
    from localstack.services.dynamodb import server

    command = server.DynamodbServer._create_shell_command

    def without_agent(self: Any) -> list[str]:
        return [arg for arg in command(self) if not arg.startswith("-javaagent:")]

    server.DynamodbServer._create_shell_command = without_agent


def macros_only_when_used() -> None:
    from localstack.services.cloudformation.engine.v2 import change_set_model_transform as model

    expand_macros = model.ChangeSetModelTransform._execute_local_transforms

    def expand_when_used(self: Any) -> None:
        templates = json.dumps([self._before_template, self._after_template], default=str)
        if '"Fn::Transform"' in templates:
            expand_macros(self)

    model.ChangeSetModelTransform._execute_local_transforms = expand_when_used


def main() -> None:
    copy_layers_to_opt()
    use_present_images()
    bind_only_listed_addresses()
    dynamodb_without_java_agent()
    macros_only_when_used()
    from localstack.runtime.main import main as localstack_main

    localstack_main()


if __name__ == "__main__":
    main()
