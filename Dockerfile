# syntax=docker/dockerfile:1
# ModelCsi: one image for the node plugin (--mode node, DaemonSet), the controller (--mode controller,
# Deployment) and the `modelcsi` CLI.
#
# Build args:
#   SDK_IMAGE      .NET SDK image used to build                     (default mcr.microsoft.com/dotnet/sdk:10.0)
#   RUNTIME_IMAGE  ASP.NET Core runtime image the binaries run on    (default mcr.microsoft.com/dotnet/aspnet:10.0)
#   CONFIGURATION  Release or Debug                                  (default Release)
#   VERSION        version stamped into the binaries                 (default 0.1.0)
#
#   docker build -t modelcsi:dev .
#
# linux/amd64 only for now: Mono.Posix.NETStandard 1.0.0 (statvfs in the cache) ships no linux-arm64
# native helper, so an arm64 image would start but fail its first pull.
#
# The publish commands below are run as written by ModelCsi.Deploy.Tests (ImageBuildTests), so keep them
# one `dotnet publish` per line with these ${...} arguments.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

# No apphost: the entrypoint and the command wrappers run `dotnet <dll>`, so the output does not depend on
# the SDK image's architecture.
FROM ${SDK_IMAGE} AS build
ARG CONFIGURATION=Release
ARG VERSION=0.1.0
WORKDIR /src
# Restore from the project files alone first so the layer is reused while only sources change.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ModelCsi.Core/ModelCsi.Core.csproj src/ModelCsi.Core/
COPY src/ModelCsi.Driver/ModelCsi.Driver.csproj src/ModelCsi.Driver/
COPY src/ModelCsi.Cli/ModelCsi.Cli.csproj src/ModelCsi.Cli/
COPY proto/ proto/
RUN dotnet restore src/ModelCsi.Driver/ModelCsi.Driver.csproj \
 && dotnet restore src/ModelCsi.Cli/ModelCsi.Cli.csproj
COPY src/ src/
RUN dotnet publish src/ModelCsi.Driver/ModelCsi.Driver.csproj -c ${CONFIGURATION} --no-restore -p:Version=${VERSION} -p:UseAppHost=false -o /out/driver \
 && dotnet publish src/ModelCsi.Cli/ModelCsi.Cli.csproj -c ${CONFIGURATION} --no-restore -p:Version=${VERSION} -p:UseAppHost=false -o /out/cli

FROM ${RUNTIME_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="modelcsi" \
      org.opencontainers.image.description="CSI driver mounting ModelPack AI models from OCI registries read-only into pods" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# Nothing is installed on top of the runtime image:
# - no util-linux / mount tools: the driver calls mount(2) and umount2(2) through libc itself and reads
#   /proc/self/mountinfo, so neither `mount` nor `findmnt` is ever executed;
# - ca-certificates (HTTPS registries) and libc come with the runtime image.
COPY --from=build /out/driver /opt/modelcsi/driver
COPY --from=build /out/cli /opt/modelcsi/cli
RUN printf '#!/bin/sh\nexec dotnet /opt/modelcsi/driver/modelcsi-driver.dll "$@"\n' > /usr/local/bin/modelcsi-driver \
 && printf '#!/bin/sh\nexec dotnet /opt/modelcsi/cli/modelcsi.dll "$@"\n' > /usr/local/bin/modelcsi \
 && chmod 0755 /usr/local/bin/modelcsi-driver /usr/local/bin/modelcsi
# The driver listens on its unix socket only; the runtime image's default HTTP port would be unused.
ENV ASPNETCORE_HTTP_PORTS= \
    DOTNET_NOLOGO=1
# The controller runs as this user (the chart sets the same); the node plugin runs as root, privileged,
# because it mounts.
USER 65532:65532
ENTRYPOINT ["dotnet", "/opt/modelcsi/driver/modelcsi-driver.dll"]
