# syntax=docker/dockerfile:1
# ModelCsi: one image for the node plugin, the controller and the `modelcsi` CLI.
#
# Build args:
#   SDK_IMAGE      .NET SDK image used to build        (default mcr.microsoft.com/dotnet/sdk:10.0)
#   RUNTIME_IMAGE  ASP.NET runtime image to run on     (default mcr.microsoft.com/dotnet/aspnet:10.0)
#   CONFIGURATION  Release or Debug                    (default Release)
#   VERSION        version stamped into the binaries   (default 0.1.0)
#
#   docker build -t modelcsi:dev .
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
ARG CONFIGURATION=Release
ARG VERSION=0.1.0
WORKDIR /src
# Restore from the project files alone first so the layer is reused while only sources change.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ModelCsi.sln ./
COPY src/ModelCsi.Core/ModelCsi.Core.csproj src/ModelCsi.Core/
COPY src/ModelCsi.Driver/ModelCsi.Driver.csproj src/ModelCsi.Driver/
COPY src/ModelCsi.Cli/ModelCsi.Cli.csproj src/ModelCsi.Cli/
COPY proto/ proto/
RUN dotnet restore src/ModelCsi.Driver/ModelCsi.Driver.csproj \
 && dotnet restore src/ModelCsi.Cli/ModelCsi.Cli.csproj
COPY src/ src/
RUN dotnet publish src/ModelCsi.Driver/ModelCsi.Driver.csproj -c ${CONFIGURATION} --no-restore -p:Version=${VERSION} -o /out/driver \
 && dotnet publish src/ModelCsi.Cli/ModelCsi.Cli.csproj -c ${CONFIGURATION} --no-restore -p:Version=${VERSION} -o /out/cli

FROM ${RUNTIME_IMAGE}
# No util-linux/mount tools: the driver calls mount(2)/umount2(2) through libc itself.
# ca-certificates comes with the runtime image for HTTPS registries.
COPY --from=build /out/driver /opt/modelcsi/driver
COPY --from=build /out/cli /opt/modelcsi/cli
RUN ln -s /opt/modelcsi/driver/modelcsi-driver /usr/local/bin/modelcsi-driver \
 && ln -s /opt/modelcsi/cli/modelcsi /usr/local/bin/modelcsi
# The controller runs as this user; the node plugin runs as root (privileged) because it mounts.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/modelcsi-driver"]
