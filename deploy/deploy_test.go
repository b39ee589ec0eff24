// Package deploy_test checks the deploy pack: the Prometheus rules and their
// unit tests, the Kubernetes manifests, the Dockerfile's build, the systemd
// unit and the Grafana dashboard; e2e_test.go runs them against real
// Prometheus and Alertmanager.
package deploy_test

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/registry"
)

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func TestPromtool(t *testing.T) {
	run(t, "prometheus", "promtool", "check", "rules", "sms_balance_rules.yml")
	run(t, "prometheus", "promtool", "check", "config", "prometheus.yml")
	out := run(t, "prometheus", "promtool", "test", "rules", "sms_balance_rules.test.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool test rules:\n%s", out)
	}
}

// TestEveryAlertTested checks that the promtool tests show each alert both
// firing and not firing.
func TestEveryAlertTested(t *testing.T) {
	rules := readYAML(t, "prometheus/sms_balance_rules.yml")
	tests := readYAML(t, "prometheus/sms_balance_rules.test.yml")
	firing, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range tests["tests"].([]any) {
		for _, at := range asList(tc.(map[string]any)["alert_rule_test"]) {
			m := at.(map[string]any)
			name := m["alertname"].(string)
			if len(asList(m["exp_alerts"])) > 0 {
				firing[name] = true
			} else {
				quiet[name] = true
			}
		}
	}
	want := []string{"SMSBalanceLow", "SMSBalanceRunningOut", "SMSProviderDown", "SMSProviderAuthFailing", "SMSBalanceStale", "SMSBalanceExporterDown", "SMSBalanceExporterConfigReloadFailed"}
	var got []string
	for _, g := range rules["groups"].([]any) {
		for _, r := range g.(map[string]any)["rules"].([]any) {
			m := r.(map[string]any)
			name, ok := m["alert"].(string)
			if !ok {
				continue
			}
			got = append(got, name)
			if !firing[name] || !quiet[name] {
				t.Errorf("alert %s: tested firing %v, not firing %v", name, firing[name], quiet[name])
			}
			labels, _ := m["labels"].(map[string]any)
			ann, _ := m["annotations"].(map[string]any)
			if labels["severity"] == nil || ann["summary"] == nil || ann["description"] == nil {
				t.Errorf("alert %s lacks a severity label or summary/description annotations", name)
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("alerts = %v, want %v", got, want)
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func TestPrometheusRuleEqualsRulesFile(t *testing.T) {
	rules := readYAML(t, "prometheus/sms_balance_rules.yml")
	pr := readYAML(t, "kubernetes/prometheusrule.yaml")
	if pr["kind"] != "PrometheusRule" {
		t.Fatalf("kind = %v", pr["kind"])
	}
	spec := pr["spec"].(map[string]any)
	if !reflect.DeepEqual(spec["groups"], rules["groups"]) {
		t.Fatal("deploy/kubernetes/prometheusrule.yaml groups differ from deploy/prometheus/sms_balance_rules.yml")
	}
}

func TestKubernetesManifests(t *testing.T) {
	kust := readYAML(t, "kubernetes/kustomization.yaml")
	kinds := map[string]map[string]any{}
	for _, r := range kust["resources"].([]any) {
		m := readYAML(t, filepath.Join("kubernetes", r.(string)))
		kinds[m["kind"].(string)] = m
	}
	for _, k := range []string{"Deployment", "Service", "ConfigMap", "Secret", "ServiceMonitor", "PrometheusRule"} {
		if kinds[k] == nil {
			t.Errorf("kustomization has no %s", k)
		}
	}
	files, _ := filepath.Glob("kubernetes/*.yaml")
	if len(files) != len(kust["resources"].([]any))+1 {
		t.Errorf("%d manifests, kustomization lists %d", len(files)-1, len(kust["resources"].([]any)))
	}

	var dep struct {
		Spec struct {
			Template struct {
				Spec struct {
					SecurityContext struct {
						RunAsNonRoot bool `yaml:"runAsNonRoot"`
					} `yaml:"securityContext"`
					Containers []struct {
						Args          []string
						Ports         []struct{ Name string }
						Resources     map[string]map[string]string
						LivenessProbe struct {
							HTTPGet struct{ Path string } `yaml:"httpGet"`
						} `yaml:"livenessProbe"`
						ReadinessProbe struct {
							HTTPGet struct{ Path string } `yaml:"httpGet"`
						} `yaml:"readinessProbe"`
						SecurityContext struct {
							ReadOnlyRootFilesystem   bool `yaml:"readOnlyRootFilesystem"`
							AllowPrivilegeEscalation bool `yaml:"allowPrivilegeEscalation"`
						} `yaml:"securityContext"`
						VolumeMounts []struct {
							MountPath string `yaml:"mountPath"`
						} `yaml:"volumeMounts"`
					}
				}
			}
		}
	}
	remarshal(t, kinds["Deployment"], &dep)
	ps := dep.Spec.Template.Spec
	c := ps.Containers[0]
	if !ps.SecurityContext.RunAsNonRoot || !c.SecurityContext.ReadOnlyRootFilesystem || c.SecurityContext.AllowPrivilegeEscalation {
		t.Error("deployment is not non-root with a read-only root filesystem")
	}
	if c.LivenessProbe.HTTPGet.Path != "/-/healthy" || c.ReadinessProbe.HTTPGet.Path != "/-/ready" {
		t.Errorf("probes: %q, %q", c.LivenessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Path)
	}
	if c.Resources["requests"]["memory"] == "" || c.Resources["limits"]["memory"] == "" {
		t.Error("deployment sets no memory request or limit")
	}

	// The ConfigMap's exporter.yml is valid, and its *_file paths point into the Secret's mount.
	cm := kinds["ConfigMap"]["data"].(map[string]any)["exporter.yml"].(string)
	secret := kinds["Secret"]["stringData"].(map[string]any)
	var read []string
	cfg, err := config.Parse([]byte(cm), "configmap/exporter.yml", config.Options{
		Providers: registry.All,
		ReadFile:  func(p string) ([]byte, error) { read = append(read, p); return []byte("x"), nil },
	})
	if err != nil {
		t.Fatalf("ConfigMap exporter.yml: %v", err)
	}
	if len(cfg.Accounts) == 0 || len(read) != len(secret) {
		t.Errorf("ConfigMap reads %d secret files; the Secret has %d keys", len(read), len(secret))
	}
	for _, p := range read {
		if !strings.HasPrefix(p, "/etc/sms_balance_exporter/secrets/") || secret[filepath.Base(p)] == nil {
			t.Errorf("ConfigMap reads %s, not a key of the mounted Secret", p)
		}
	}
	if !contains(c.Args, "--config.file=/etc/sms_balance_exporter/exporter.yml") {
		t.Errorf("container args %v", c.Args)
	}
	sm := kinds["ServiceMonitor"]["spec"].(map[string]any)["endpoints"].([]any)[0].(map[string]any)
	svcPort := kinds["Service"]["spec"].(map[string]any)["ports"].([]any)[0].(map[string]any)
	if sm["port"] != svcPort["name"] || svcPort["port"] != 9863 {
		t.Errorf("ServiceMonitor port %v, Service port %v", sm["port"], svcPort)
	}
}

func remarshal(t *testing.T, in any, out any) {
	t.Helper()
	b, err := yaml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

func contains(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

// TestDockerfile runs the Dockerfile's build command (same flags, ARG
// defaults replaced by test values) and checks the result is a static
// binary with the version injected; it checks that the paths it copies exist.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	var buildCmd string
	for _, line := range strings.Split(df, "\n") {
		if strings.HasPrefix(line, "RUN ") && strings.Contains(line, "go build") {
			buildCmd = strings.TrimPrefix(line, "RUN ")
		}
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "COPY" && !strings.HasPrefix(f[1], "--from") {
			for _, src := range f[1 : len(f)-1] {
				if _, err := os.Stat(filepath.Join("..", src)); err != nil {
					t.Errorf("Dockerfile copies %s: %v", src, err)
				}
			}
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "github.com/prometheus/common/version.Version=${VERSION}", "-o /out/sms_balance_exporter"} {
		if !strings.Contains(buildCmd, want) {
			t.Fatalf("build command %q lacks %q", buildCmd, want)
		}
	}
	for _, want := range []string{"EXPOSE 9863", "USER 65532:65532", "/etc/sms_balance_exporter/exporter.yml", "COPY --from=build /out/sms_balance_exporter /bin/sms_balance_exporter"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	out := t.TempDir()
	cmdline := strings.NewReplacer("/out/", out+"/", "${VERSION}", "9.9.9-test", "${REVISION}", "abc123", "${BRANCH}", "test").Replace(buildCmd)
	if regexp.MustCompile(`\$\{?[A-Z]`).MatchString(cmdline) {
		t.Fatalf("unresolved variable in %q", cmdline)
	}
	run(t, "..", "sh", "-c", cmdline)
	bin := filepath.Join(out, "sms_balance_exporter")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Fatalf("binary is not static: it has a %s program header", p.Type)
		}
	}
	if v := run(t, "..", bin, "--version"); !strings.Contains(v, "version 9.9.9-test") || !strings.Contains(v, "revision: abc123") {
		t.Fatalf("--version does not show the injected version:\n%s", v)
	}
}

// TestSystemdUnit verifies the unit with systemd-analyze, pointing
// ExecStart at a freshly built binary.
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile("systemd/sms_balance_exporter.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "LoadCredential=", "ExecReload=/bin/kill -HUP $MAINPID"} {
		if !bytes.Contains(unit, []byte(want)) {
			t.Errorf("unit lacks %s", want)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "sms_balance_exporter")
	run(t, "..", "go", "build", "-o", bin, "./cmd/sms_balance_exporter")
	path := filepath.Join(dir, "sms_balance_exporter.service")
	if err := os.WriteFile(path, bytes.ReplaceAll(unit, []byte("/usr/local/bin/sms_balance_exporter"), []byte(bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := run(t, dir, "systemd-analyze", "verify", path); strings.TrimSpace(out) != "" {
		t.Fatalf("systemd-analyze verify warns:\n%s", out)
	}
}

// dashboard is the part of the Grafana dashboard the tests read.
type dashboard struct {
	Templating struct {
		List []struct {
			Name  string
			Type  string
			Query any
		}
	}
	Panels []struct {
		Title      string
		Type       string
		Datasource struct{ UID string }
		Targets    []struct {
			Expr  string
			RefID string `json:"refId"`
		}
	}
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile("grafana/sms-balance.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDashboard(t *testing.T) {
	d := readDashboard(t)
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
	}
	if !reflect.DeepEqual(vars, []string{"datasource", "job", "instance", "provider", "account"}) {
		t.Errorf("template variables %v", vars)
	}
	titles := map[string]bool{}
	for _, p := range d.Panels {
		titles[p.Title] = true
		if p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: datasource %q, %d targets", p.Title, p.Datasource.UID, len(p.Targets))
		}
		for _, tg := range p.Targets {
			if !strings.Contains(tg.Expr, `provider=~"$provider"`) || !strings.Contains(tg.Expr, `account=~"$account"`) {
				t.Errorf("panel %q query %s ignores the provider/account variables", p.Title, tg.RefID)
			}
		}
	}
	for _, want := range []string{"Balance", "Balance over time", "Spend per day", "Days left", "Provider up", "Auth failures", "Refresh latency", "Failures by reason"} {
		if !titles[want] {
			t.Errorf("no panel %q", want)
		}
	}
	for _, f := range []string{"grafana/provisioning/dashboards/sms-balance.yml", "grafana/provisioning/datasources/prometheus.yml"} {
		readYAML(t, f)
	}
}
