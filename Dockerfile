# syntax=docker/dockerfile:1
# The service's image: one static binary, no engine library (production talks
# to a ClickHouse server), no shell. Build: docker build -t rebate .
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -tags "timetzdata nochdb" -ldflags "-s -w" -o /out/rebate ./cmd/rebate

# nochdb leaves the engine binding (and with it dynamic linking) out;
# timetzdata: scratch has no zoneinfo, and a server in another time zone needs it.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/rebate /rebate
# nobody: the service needs no privilege and writes no file.
USER 65534:65534
ENTRYPOINT ["/rebate"]
CMD ["api"]
