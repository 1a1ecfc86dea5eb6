# roster's container image: the GitHub Action (action.yml builds this file when
# it is not pointed at a released image) and the CLI.
#
#   docker build -t roster .         # with BuildKit, the default since Docker 23
#   docker run --rm --entrypoint /roster roster version
#
# The entrypoint is "roster action", the GitHub Action; --entrypoint /roster
# gives the CLI.
#
# The builder runs on the build machine's own platform and cross-compiles for
# the target, so a multi-architecture build (linux/amd64, linux/arm64) needs no
# emulation. The binary is static (CGO_ENABLED=0), so the final image is
# scratch: the binary and the CA bundle it needs for TLS to AWS and GitHub,
# nothing else. cmd/roster/build_test.go and .ci/image read the go build flags
# below, so the tested binary and the shipped one are built the same way.
#
# Pin the builder by digest in your fork if you mirror images
# (golang:1.26.8-bookworm@sha256:...); a release workflow run records the
# digest it used in the image's provenance attestation.

FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm AS build
ARG TARGETOS
ARG TARGETARCH
# VERSION is the release tag (v1.2.3); empty builds report the Go toolchain's
# module version instead.
ARG VERSION=
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X github.com/roster-dev/roster/internal/version.Version=${VERSION}" \
    -o /out/roster ./cmd/roster

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/roster /roster
# No USER: GitHub runs Docker actions as the image's default user and needs it
# to be root to reach the mounted workspace (GITHUB_WORKSPACE) and the runner's
# file commands (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY). The image holds nothing
# but the binary, so root here owns no shell and no tools. Outside Actions, run
# it as any user: docker run --user 65532:65532 ...
# No WORKDIR either: the runner mounts the workspace and makes it the working
# directory.
ENTRYPOINT ["/roster", "action"]
