package main

import (
	"runtime/debug"
	"strings"
	"sync"

	"github.com/prometheus/common/version"
)

// buildVersion is what the version line shows. Docker builds inject it with
// -ldflags -X github.com/prometheus/common/version.*; go build and go run
// builds have only what the Go toolchain stamps into the binary.
type buildVersion struct {
	Version, Revision, BuildDate string
}

// fromBuildInfo fills what ldflags left empty from the build information:
// the main module's version ("devel" for a (devel) build: never empty), and
// when the toolchain recorded them (not with -buildvcs=false) the VCS
// revision, suffixed "-modified" for a dirty tree, and the commit time.
// Values set by ldflags always win.
func fromBuildInfo(v buildVersion, info *debug.BuildInfo) buildVersion {
	var rev, vcsTime string
	modified := false
	mainVersion := ""
	if info != nil {
		mainVersion = info.Main.Version
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			case "vcs.time":
				vcsTime = s.Value
			}
		}
	}
	if strings.TrimSpace(v.Version) == "" {
		v.Version = mainVersion
		if v.Version == "" || v.Version == "(devel)" {
			v.Version = "devel"
		}
	}
	if v.Revision == "" && rev != "" {
		v.Revision = rev
		if modified {
			v.Revision += "-modified"
		}
	}
	if v.BuildDate == "" {
		v.BuildDate = vcsTime
	}
	return v
}

var fillVersionOnce sync.Once

// fillVersion sets version.Version, version.Revision and version.BuildDate
// from the build information where ldflags did not, so that --version, the
// landing page, the logs, the User-Agent and sms_balance_exporter_build_info
// never show an empty version. run calls it first; it is idempotent.
func fillVersion() {
	fillVersionOnce.Do(func() {
		info, _ := debug.ReadBuildInfo()
		v := fromBuildInfo(buildVersion{Version: version.Version, Revision: version.Revision, BuildDate: version.BuildDate}, info)
		version.Version, version.Revision, version.BuildDate = v.Version, v.Revision, v.BuildDate
	})
}

// versionLine is the landing page's version: "devel, revision unknown,
// go1.26.8", with the branch and build date when known.
func versionLine() string {
	fillVersion()
	parts := []string{version.Version}
	if version.Branch != "" {
		parts = append(parts, "branch "+version.Branch)
	}
	parts = append(parts, "revision "+version.GetRevision())
	if version.BuildDate != "" {
		parts = append(parts, "built "+version.BuildDate)
	}
	parts = append(parts, version.GoVersion)
	return strings.Join(parts, ", ")
}
