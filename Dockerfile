# Build:  docker build --build-arg VERSION=$(git describe --tags --always) --build-arg REVISION=$(git rev-parse HEAD) -t sms_balance_exporter .
# Run:    docker run -p 9863:9863 -e RTI_CLIENT_ID -e D7_TOKEN \
#           -v $PWD/exporter.yml:/etc/sms_balance_exporter/exporter.yml:ro \
#           -v $PWD/secrets:/etc/sms_balance_exporter/secrets:ro sms_balance_exporter
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY collector ./collector
COPY config ./config
COPY providers ./providers
ARG VERSION=dev
ARG REVISION=unknown
ARG BRANCH=HEAD
RUN CGO_ENABLED=0 go build -trimpath -o /out/sms_balance_exporter -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION} -X github.com/prometheus/common/version.Branch=${BRANCH} -X github.com/prometheus/common/version.BuildUser=docker" ./cmd/sms_balance_exporter

# distroless/static: CA certificates, /etc/passwd with the nonroot user, nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sms_balance_exporter /bin/sms_balance_exporter
COPY exporter.yml /etc/sms_balance_exporter/exporter.yml
USER 65532:65532
EXPOSE 9863
# Credentials are expected as mounted files referenced by *_file keys
# (relative to the configuration file: /etc/sms_balance_exporter/secrets/…),
# or as environment variables used as ${VAR}.
ENTRYPOINT ["/bin/sms_balance_exporter"]
CMD ["--config.file=/etc/sms_balance_exporter/exporter.yml"]
