package deploy_test

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/d7networks"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// The multi-target recipe: deploy/prometheus/prometheus-probe.yml, its
// sharded form prometheus-shard-<i>.yml, and prometheus-operator's
// ScrapeConfig in deploy/kubernetes-probe/.
const (
	probeConfig   = "prometheus/prometheus-probe.yml"
	probeJob      = "sms_balance_probe"
	ownJob        = "sms_balance"
	shipAddr      = "localhost:9863" // the exporter's address in the shipped files
	shards        = 2
	scrapeConfig  = "kubernetes-probe/scrapeconfig.yaml"
	probeOverlay  = "kubernetes-probe"
	balancePath   = "/d7networks/messages/v1/balance"
	e2eCacheTTL   = 3 * time.Second
	e2eMinWindow  = 10 * time.Second // long enough for the cache bound to mean something
	seriesTimeout = 30 * time.Second
)

func shardConfig(i int) string { return fmt.Sprintf("prometheus/prometheus-shard-%d.yml", i) }

// hashmod is Prometheus' relabel action hashmod (model/relabel/relabel.go):
// the last 8 bytes of the MD5 of the value, big-endian, modulo n.
func hashmod(value string, n uint64) uint64 {
	sum := md5.Sum([]byte(value))
	return binary.BigEndian.Uint64(sum[8:]) % n
}

// scrapeJob returns the scrape config of job name in cfg, or nil.
func scrapeJob(cfg map[string]any, name string) map[string]any {
	for _, j := range asList(cfg["scrape_configs"]) {
		if m, _ := j.(map[string]any); m["job_name"] == name {
			return m
		}
	}
	return nil
}

func jobNames(cfg map[string]any) []string {
	var out []string
	for _, j := range asList(cfg["scrape_configs"]) {
		out = append(out, fmt.Sprint(j.(map[string]any)["job_name"]))
	}
	return out
}

func yamlList(t *testing.T, s string) []any {
	t.Helper()
	var v []any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v in\n%s", err, s)
	}
	return v
}

// probeRelabelings is the blackbox_exporter convention: the discovered
// target (an account name) becomes ?target= and the instance label, and the
// scrape goes to the exporter at addr.
func probeRelabelings(t *testing.T, addr string) []any {
	return yamlList(t, fmt.Sprintf(`
- {source_labels: [__address__], target_label: __param_target}
- {source_labels: [__param_target], target_label: instance}
- {target_label: __address__, replacement: %q}
`, addr))
}

// shardRelabelings keeps shard i's accounts: hashmod of the account name.
func shardRelabelings(t *testing.T, i int) []any {
	return yamlList(t, fmt.Sprintf(`
- {source_labels: [__param_target], target_label: __tmp_hash, modulus: %d, action: hashmod}
- {source_labels: [__tmp_hash], regex: "%d", action: keep}
`, shards, i))
}

// seriesLabels are the labels the exporter's series carry themselves: no
// target label may take one of these names (honor_labels false would rename
// the exporter's to exported_<name>).
var seriesLabels = []string{"provider", "account", "unit", "currency"}

func checkNoClash(t *testing.T, where string, job map[string]any) {
	t.Helper()
	if h, ok := job["honor_labels"]; ok && h != false {
		t.Errorf("%s: honor_labels %v; the recipe keeps the default (false)", where, h)
	}
	for _, r := range asList(job["relabel_configs"]) {
		m := r.(map[string]any)
		target, _ := m["target_label"].(string)
		if contains(seriesLabels, target) || strings.HasPrefix(target, "exported_") || m["action"] == "labelmap" {
			t.Errorf("%s: relabeling %v creates a label that clashes with the exporter's series labels %v", where, m, seriesLabels)
		}
	}
	for _, sc := range asList(job["static_configs"]) {
		if labels := sc.(map[string]any)["labels"]; labels != nil {
			t.Errorf("%s: static labels %v", where, labels)
		}
	}
}

// TestProbeConfigs checks deploy/prometheus/prometheus-probe.yml: promtool
// accepts it; the probe job discovers the accounts from the exporter's /sd
// and relabels them the blackbox_exporter way, without target labels that
// clash with the series' own; the exporter's own job is sms_balance, which
// the exporter alerts match.
func TestProbeConfigs(t *testing.T) {
	run(t, "prometheus", "promtool", "check", "config", filepath.Base(probeConfig))
	cfg := readYAML(t, probeConfig)
	if got := jobNames(cfg); !reflect.DeepEqual(got, []string{probeJob, ownJob}) {
		t.Fatalf("jobs %v, want [%s %s]", got, probeJob, ownJob)
	}
	job := scrapeJob(cfg, probeJob)
	if job["metrics_path"] != "/probe" {
		t.Errorf("metrics_path %v, want /probe", job["metrics_path"])
	}
	sd := asList(job["http_sd_configs"])
	if len(sd) != 1 {
		t.Fatalf("http_sd_configs %v, want one", sd)
	}
	u, err := url.Parse(fmt.Sprint(sd[0].(map[string]any)["url"]))
	if err != nil || u.Host != shipAddr || u.Path != "/sd" {
		t.Errorf("http_sd_configs url %v (%v), want http://%s/sd", u, err, shipAddr)
	}
	if got, want := job["relabel_configs"], probeRelabelings(t, shipAddr); !reflect.DeepEqual(got, want) {
		t.Errorf("relabel_configs\n%v\nwant\n%v", got, want)
	}
	checkNoClash(t, probeConfig, job)
	own := scrapeJob(cfg, ownJob)
	if p, ok := own["metrics_path"]; ok && p != "/metrics" {
		t.Errorf("job %s scrapes %v, want /metrics", ownJob, p)
	}
	if got := asList(asList(own["static_configs"])[0].(map[string]any)["targets"]); !reflect.DeepEqual(got, []any{shipAddr}) {
		t.Errorf("job %s targets %v, want [%s]", ownJob, got, shipAddr)
	}
	// Same rules and Alertmanager as the single-target prometheus.yml.
	single := readYAML(t, "prometheus/prometheus.yml")
	for _, k := range []string{"global", "rule_files", "alerting"} {
		if !reflect.DeepEqual(cfg[k], single[k]) {
			t.Errorf("%s: %s differs from prometheus.yml's", probeConfig, k)
		}
	}
}

// TestShardConfigs checks the sharding recipe: one file per shard, each
// passing promtool, each the probe job of prometheus-probe.yml plus a
// hashmod of __param_target and a keep of its own shard number; the
// exporter's own job on shard 0 only.
func TestShardConfigs(t *testing.T) {
	files, _ := filepath.Glob("prometheus/prometheus-shard-*.yml")
	if len(files) != shards {
		t.Fatalf("%d shard files %v, want %d", len(files), files, shards)
	}
	probe := readYAML(t, probeConfig)
	for i := 0; i < shards; i++ {
		run(t, "prometheus", "promtool", "check", "config", filepath.Base(shardConfig(i)))
		cfg := readYAML(t, shardConfig(i))
		want := []string{probeJob}
		if i == 0 {
			want = append(want, ownJob)
		}
		if got := jobNames(cfg); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: jobs %v, want %v", shardConfig(i), got, want)
		}
		wantJob := map[string]any{}
		for k, v := range scrapeJob(probe, probeJob) {
			wantJob[k] = v
		}
		wantJob["relabel_configs"] = append(probeRelabelings(t, shipAddr), shardRelabelings(t, i)...)
		if got := scrapeJob(cfg, probeJob); !reflect.DeepEqual(got, wantJob) {
			t.Errorf("%s: job %s\n%v\nwant prometheus-probe.yml's plus the shard rules:\n%v", shardConfig(i), probeJob, got, wantJob)
		}
		if i == 0 && !reflect.DeepEqual(scrapeJob(cfg, ownJob), scrapeJob(probe, ownJob)) {
			t.Errorf("%s: job %s differs from prometheus-probe.yml's", shardConfig(i), ownJob)
		}
		for _, k := range []string{"global", "rule_files", "alerting"} {
			if !reflect.DeepEqual(cfg[k], probe[k]) {
				t.Errorf("%s: %s differs from prometheus-probe.yml's", shardConfig(i), k)
			}
		}
	}
}

// operatorRelabel translates one RelabelConfig of the operator's CRDs
// (camelCase) into Prometheus' relabel_config.
func operatorRelabel(t *testing.T, r map[string]any) map[string]any {
	t.Helper()
	keys := map[string]string{"sourceLabels": "source_labels", "separator": "separator", "targetLabel": "target_label",
		"regex": "regex", "modulus": "modulus", "replacement": "replacement", "action": "action"}
	out := map[string]any{}
	for k, v := range r {
		pk, ok := keys[k]
		if !ok {
			t.Fatalf("relabeling %v: field %s not translated", r, k)
		}
		if pk == "action" {
			v = strings.ToLower(fmt.Sprint(v))
		}
		out[pk] = v
	}
	return out
}

// operatorJob renders the ScrapeConfig sc the way prometheus-operator does
// (pkg/prometheus/promcfg.go, generateScrapeConfig) for shard `shard` of a
// Prometheus with `shards: n`: job_name scrapeConfig/<namespace>/<name>, the
// operator's relabelings (__tmp_prometheus_job_name, then job from jobName),
// the ScrapeConfig's own, then the sharding rules it appends to every job
// (hash __tmp_hash if set, else __address__; keep $(SHARD)). It fails on
// any field it does not translate, so that it cannot silently diverge.
func operatorJob(t *testing.T, sc map[string]any, namespace string, shard, n int) map[string]any {
	t.Helper()
	spec := sc["spec"].(map[string]any)
	job := map[string]any{"job_name": fmt.Sprintf("scrapeConfig/%s/%s", namespace, sc["metadata"].(map[string]any)["name"])}
	relabel := []any{map[string]any{"source_labels": []any{"job"}, "target_label": "__tmp_prometheus_job_name"}}
	if name, ok := spec["jobName"]; ok {
		relabel = append(relabel, map[string]any{"target_label": "job", "action": "replace", "replacement": name})
	}
	for k, v := range spec {
		switch k {
		case "jobName", "relabelings":
		case "metricsPath":
			job["metrics_path"] = v
		case "scrapeInterval":
			job["scrape_interval"] = v
		case "scrapeTimeout":
			job["scrape_timeout"] = v
		case "httpSDConfigs":
			var sds []any
			for _, c := range asList(v) {
				sd := map[string]any{}
				for ck, cv := range c.(map[string]any) {
					switch ck {
					case "url":
						sd["url"] = cv
					case "refreshInterval":
						sd["refresh_interval"] = cv
					default:
						t.Fatalf("httpSDConfigs field %s not translated", ck)
					}
				}
				sds = append(sds, sd)
			}
			job["http_sd_configs"] = sds
		default:
			t.Fatalf("ScrapeConfig field %s not translated", k)
		}
	}
	for _, r := range asList(spec["relabelings"]) {
		relabel = append(relabel, operatorRelabel(t, r.(map[string]any)))
	}
	relabel = append(relabel, yamlList(t, fmt.Sprintf(`
- {source_labels: [__address__, __tmp_hash], target_label: __tmp_hash, regex: "(.+);", replacement: "$1", action: replace}
- {source_labels: [__tmp_hash], target_label: __tmp_hash, modulus: %d, action: hashmod}
- {source_labels: [__tmp_hash, __tmp_disable_sharding], regex: "%d;|.+;.+", action: keep}
`, n, shard))...)
	job["relabel_configs"] = relabel
	return job
}

// serviceAddr is the exporter's address inside the cluster, from the base
// manifests: <service>.<namespace>.svc:<port>.
func serviceAddr(t *testing.T) (addr, namespace string) {
	svc := readYAML(t, "kubernetes/service.yaml")
	namespace = fmt.Sprint(readYAML(t, "kubernetes/kustomization.yaml")["namespace"])
	port := asList(svc["spec"].(map[string]any)["ports"])[0].(map[string]any)["port"]
	return fmt.Sprintf("%s.%s.svc:%v", svc["metadata"].(map[string]any)["name"], namespace, port), namespace
}

// readScrapeConfig reads the ScrapeConfig, its exporter address replaced
// by addr ("" leaves it).
func readScrapeConfig(t *testing.T, addr string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(scrapeConfig)
	if err != nil {
		t.Fatal(err)
	}
	if addr != "" {
		svc, _ := serviceAddr(t)
		b = bytes.ReplaceAll(b, []byte(svc), []byte(addr))
	}
	var sc map[string]any
	if err := yaml.Unmarshal(b, &sc); err != nil {
		t.Fatalf("%s: %v", scrapeConfig, err)
	}
	return sc
}

// TestProbeScrapeConfig checks the prometheus-operator variant: the
// ScrapeConfig is prometheus-probe.yml's probe job (same relabelings,
// pointed at the base's Service) plus __tmp_hash = the account name, which
// the operator's sharding rules hash; rendered as the operator does, it
// passes promtool for each shard; the overlay adds --web.probe-only.
func TestProbeScrapeConfig(t *testing.T) {
	sc := readScrapeConfig(t, "")
	if sc["apiVersion"] != "monitoring.coreos.com/v1alpha1" || sc["kind"] != "ScrapeConfig" {
		t.Fatalf("%s is %v %v", scrapeConfig, sc["apiVersion"], sc["kind"])
	}
	spec := sc["spec"].(map[string]any)
	if spec["jobName"] != probeJob || spec["metricsPath"] != "/probe" {
		t.Errorf("jobName %v, metricsPath %v", spec["jobName"], spec["metricsPath"])
	}
	if h, ok := spec["honorLabels"]; ok && h != false {
		t.Errorf("honorLabels %v", h)
	}
	addr, namespace := serviceAddr(t)
	sd := asList(spec["httpSDConfigs"])
	if len(sd) != 1 || sd[0].(map[string]any)["url"] != "http://"+addr+"/sd" {
		t.Errorf("httpSDConfigs %v, want one with url http://%s/sd", sd, addr)
	}
	var relabel []any
	for _, r := range asList(spec["relabelings"]) {
		relabel = append(relabel, operatorRelabel(t, r.(map[string]any)))
	}
	want := append(probeRelabelings(t, addr), yamlList(t, `[{source_labels: [__param_target], target_label: __tmp_hash}]`)...)
	if !reflect.DeepEqual(relabel, want) {
		t.Errorf("relabelings (translated)\n%v\nwant prometheus-probe.yml's plus __tmp_hash:\n%v", relabel, want)
	}
	probe := scrapeJob(readYAML(t, probeConfig), probeJob)
	for k, pk := range map[string]string{"scrapeInterval": "scrape_interval", "scrapeTimeout": "scrape_timeout"} {
		if spec[k] != probe[pk] {
			t.Errorf("%s %v, prometheus-probe.yml's %s %v", k, spec[k], pk, probe[pk])
		}
	}

	dir := t.TempDir()
	for i := 0; i < shards; i++ {
		job := operatorJob(t, sc, namespace, i, shards)
		checkNoClash(t, fmt.Sprintf("%s rendered for shard %d", scrapeConfig, i), job)
		name := fmt.Sprintf("operator-shard-%d.yml", i)
		writeYAML(t, filepath.Join(dir, name), map[string]any{"scrape_configs": []any{job}})
		run(t, dir, "promtool", "check", "config", name)
	}

	kust := readYAML(t, filepath.Join(probeOverlay, "kustomization.yaml"))
	if !reflect.DeepEqual(kust["resources"], []any{"../kubernetes", "scrapeconfig.yaml"}) || kust["namespace"] != namespace {
		t.Errorf("%s/kustomization.yaml: resources %v, namespace %v", probeOverlay, kust["resources"], kust["namespace"])
	}
	if !strings.Contains(fmt.Sprint(kust["patches"]), "value: --web.probe-only") {
		t.Errorf("%s/kustomization.yaml does not add --web.probe-only: %v", probeOverlay, kust["patches"])
	}
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Fatal("kubectl is not installed (this machine's image ships it): the overlay cannot be rendered")
	}
	kinds := map[string]map[string]any{}
	dec := yaml.NewDecoder(strings.NewReader(run(t, ".", "kubectl", "kustomize", probeOverlay)))
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		kinds[fmt.Sprint(m["kind"])] = m
		if ns := m["metadata"].(map[string]any)["namespace"]; ns != namespace {
			t.Errorf("%s in namespace %v", m["kind"], ns)
		}
	}
	for _, k := range []string{"Deployment", "Service", "ServiceMonitor", "PrometheusRule", "ScrapeConfig"} {
		if kinds[k] == nil {
			t.Errorf("kubectl kustomize %s renders no %s", probeOverlay, k)
		}
	}
	if dep := kinds["Deployment"]; dep != nil {
		args := fmt.Sprint(dep["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["args"])
		if !strings.Contains(args, "--web.probe-only") || !strings.Contains(args, "--config.file=") {
			t.Errorf("rendered Deployment args %s", args)
		}
	}
}

// promServer is one Prometheus of the end-to-end test.
type promServer struct {
	recipe string // "static" (deploy/prometheus) or "operator" (the ScrapeConfig)
	shard  int
	url    string
}

func (p promServer) String() string { return fmt.Sprintf("%s shard %d (%s)", p.recipe, p.shard, p.url) }

// accountsIn returns the accounts whose sms_balance p holds.
func (p promServer) accountsIn() (map[string]promSample, error) {
	res, err := query(p.url, `sms_balance`)
	if err != nil {
		return nil, err
	}
	out := map[string]promSample{}
	for _, s := range res {
		out[s.Metric["account"]] = s
	}
	return out, nil
}

// activeTargets returns the instance labels of p's active targets of job.
func (p promServer) activeTargets(job string) ([]string, error) {
	_, body, err := httpGet(p.url + "/api/v1/targets?state=active")
	if err != nil {
		return nil, err
	}
	var r struct {
		Data struct {
			ActiveTargets []struct {
				Labels    map[string]string
				ScrapeURL string `json:"scrapeUrl"`
			}
		}
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, err
	}
	var out []string
	for _, tg := range r.Data.ActiveTargets {
		if tg.Labels["job"] == job {
			if job == probeJob && !strings.HasSuffix(tg.ScrapeURL, "/probe?target="+url.QueryEscape(tg.Labels["instance"])) {
				return nil, fmt.Errorf("target %v scrapes %s", tg.Labels, tg.ScrapeURL)
			}
			out = append(out, tg.Labels["instance"])
		}
	}
	sort.Strings(out)
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestShardingEndToEnd runs the sharding recipe for real: an in-test
// simulator with ten D7 Networks accounts, the exporter with --web.probe-only
// and cache_ttl 3s, two Prometheus servers from deploy/prometheus/prometheus-
// shard-{0,1}.yml and two from the ScrapeConfig rendered as the operator
// does, all with a 1s scrape interval. Each account's sms_balance must be in
// exactly one shard of each pair, the one Prometheus' hashmod gives; the
// exporter's own job must carry its own metrics and no balance; the
// provider must be called no more than the cache allows.
func TestShardingEndToEnd(t *testing.T) {
	began := time.Now()
	for _, bin := range []string{"prometheus", "promtool"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is not installed: run the README's test command (bash .ci/test), which installs it", bin)
		}
	}
	dir := t.TempDir()
	exporterBin := filepath.Join(dir, "sms_balance_exporter")
	run(t, "..", "go", "build", "-o", exporterBin, "./cmd/sms_balance_exporter")

	// The simulator, counting balance calls per token besides its own Hits.
	sim := simulator.New([]providers.Spec{d7networks.Spec})
	t.Cleanup(sim.Close)
	var mu sync.Mutex
	calls := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == balancePath {
			mu.Lock()
			calls[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]++
			mu.Unlock()
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	// Ten accounts, named so that both shards get some (a 2-way hashmod of
	// ten names may put all on one side: account-01…10 splits 1/9).
	var names []string
	want := make([][]string, shards)
	balance := map[string]float64{}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "defaults:\n  timeout: 5s\n  cache_ttl: %s\naccounts:\n", e2eCacheTTL)
	for i := 1; i <= 10; i++ {
		name := fmt.Sprintf("d7-%02d", i)
		names = append(names, name)
		balance[name] = 100 + float64(i)
		sim.Add("d7networks", map[string]string{"token": "tok-" + name}, providers.Wallet{Balance: balance[name]})
		fmt.Fprintf(&cfg, "  - name: %s\n    provider: d7networks\n    base_url: %s\n    currency: EUR\n    credentials:\n      token: tok-%s\n",
			name, simulator.BaseURL(srv.URL, "d7networks"), name)
		s := hashmod(name, shards)
		want[s] = append(want[s], name)
	}
	for i, w := range want {
		if len(w) == 0 {
			t.Fatalf("hashmod puts no account on shard %d: pick other names (%v)", i, want)
		}
	}
	t.Logf("hashmod split: %v", want)
	if err := os.WriteFile(filepath.Join(dir, "exporter.yml"), []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	exporterAddr := freeAddr(t)

	// Generated copies of the recipe: the exporter's address replaced (as
	// the files tell users to), 1s intervals, the rules file copied, no
	// Alertmanager. The operator's pair runs its probe job only (the own
	// job comes from the base's ServiceMonitor there).
	rules, err := os.ReadFile("prometheus/sms_balance_rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	rulesPath := filepath.Join(dir, "sms_balance_rules.yml")
	if err := os.WriteFile(rulesPath, rules, 0o644); err != nil {
		t.Fatal(err)
	}
	operatorSC := readScrapeConfig(t, exporterAddr)
	_, namespace := serviceAddr(t)
	var servers []promServer
	for _, recipe := range []string{"static", "operator"} {
		for i := 0; i < shards; i++ {
			var pcfg map[string]any
			if recipe == "static" {
				b, err := os.ReadFile(shardConfig(i))
				if err != nil {
					t.Fatal(err)
				}
				if err := yaml.Unmarshal(bytes.ReplaceAll(b, []byte(shipAddr), []byte(exporterAddr)), &pcfg); err != nil {
					t.Fatal(err)
				}
				pcfg["rule_files"] = []any{rulesPath}
				delete(pcfg, "alerting")
			} else {
				pcfg = map[string]any{"scrape_configs": []any{operatorJob(t, operatorSC, namespace, i, shards)}}
			}
			pcfg["global"] = map[string]any{"scrape_interval": "1s", "evaluation_interval": "1s"}
			for _, j := range asList(pcfg["scrape_configs"]) {
				j.(map[string]any)["scrape_interval"], j.(map[string]any)["scrape_timeout"] = "1s", "1s"
			}
			sub := filepath.Join(dir, fmt.Sprintf("%s-%d", recipe, i))
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			writeYAML(t, filepath.Join(sub, "prometheus.yml"), pcfg)
			run(t, sub, "promtool", "check", "config", "prometheus.yml")
			servers = append(servers, promServer{recipe: recipe, shard: i, url: "http://" + freeAddr(t)})
		}
	}

	// The window over which provider calls are counted starts before the
	// exporter does.
	windowStart := time.Now()
	start(t, dir, exporterBin, "--config.file=exporter.yml", "--web.listen-address="+exporterAddr, "--web.probe-only")
	for _, p := range servers {
		start(t, filepath.Join(dir, fmt.Sprintf("%s-%d", p.recipe, p.shard)), "prometheus", "--config.file=prometheus.yml",
			"--storage.tsdb.path=data", "--web.listen-address="+strings.TrimPrefix(p.url, "http://"))
	}
	t.Cleanup(func() { // runs before the servers stop, which print their logs in reverse order
		if t.Failed() {
			var order []string
			for k := len(servers) - 1; k >= 0; k-- {
				order = append(order, servers[k].String())
			}
			t.Logf("the prometheus logs below are, in order, those of: %s", strings.Join(order, "; "))
		}
	})
	waitReady(t, "exporter", "http://"+exporterAddr+"/-/ready")
	for _, p := range servers {
		waitReady(t, p.String(), p.url+"/-/ready")
	}

	// /sd lists the ten accounts.
	_, body, err := httpGet("http://" + exporterAddr + "/sd")
	if err != nil {
		t.Fatal(err)
	}
	var groups []struct {
		Targets []string
		Labels  map[string]string
	}
	if err := json.Unmarshal(body, &groups); err != nil || len(groups) != len(names) {
		t.Fatalf("/sd: %v, %d groups: %s", err, len(groups), body)
	}

	// Every account reaches one shard of each pair.
	got := make([]map[string]promSample, len(servers))
	eventually(t, seriesTimeout, "every account's sms_balance in Prometheus", func() string {
		union := map[string]map[string]bool{}
		for k, p := range servers {
			var err error
			if got[k], err = p.accountsIn(); err != nil {
				return fmt.Sprintf("%s: %v", p, err)
			}
			if union[p.recipe] == nil {
				union[p.recipe] = map[string]bool{}
			}
			for a := range got[k] {
				union[p.recipe][a] = true
			}
		}
		for recipe, u := range union {
			if len(u) != len(names) {
				return fmt.Sprintf("%s recipe: %d accounts so far: %v", recipe, len(u), sortedKeys(u))
			}
		}
		return ""
	})
	// A shard that kept the wrong accounts would have scraped them by now:
	// its targets are set when /sd is read, before any scrape. Look again
	// after two more scrape intervals.
	time.Sleep(2 * time.Second)
	for k, p := range servers {
		if got[k], err = p.accountsIn(); err != nil {
			t.Fatal(err)
		}
		if accounts := sortedKeys(got[k]); !reflect.DeepEqual(accounts, want[p.shard]) {
			t.Errorf("%s holds sms_balance of %v, want %v (hashmod of the account name)", p, accounts, want[p.shard])
		}
		targets, err := p.activeTargets(probeJob)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(targets, want[p.shard]) {
			t.Errorf("%s: active %s targets %v, want %v", p, probeJob, targets, want[p.shard])
		}
		for account, s := range got[k] {
			m := s.Metric
			if m["job"] != probeJob || m["instance"] != account || m["provider"] != "d7networks" || m["unit"] != "currency" ||
				m["currency"] != "EUR" || s.float() != balance[account] {
				t.Errorf("%s: sms_balance %v = %v, want job %s, instance %s, provider d7networks, EUR %v", p, m, s.float(), probeJob, account, balance[account])
			}
			for l := range m {
				if strings.HasPrefix(l, "exported_") {
					t.Errorf("%s: sms_balance %v has a clashing label %s", p, m, l)
				}
			}
		}
		up, err := query(p.url, fmt.Sprintf(`up{job=%q} == 1`, probeJob))
		if err != nil || len(up) != len(want[p.shard]) {
			t.Errorf("%s: %d probe targets up (%v), want %d", p, len(up), err, len(want[p.shard]))
		}
	}

	// --web.probe-only: the exporter's /metrics carries its own metrics and
	// no balance, in Prometheus (job sms_balance, static shard 0 only) and
	// on the wire.
	shard0 := servers[0]
	eventually(t, seriesTimeout, "exporter's own metrics in "+shard0.String(), func() string {
		res, err := query(shard0.url, fmt.Sprintf(`sms_balance_exporter_build_info{job=%q}`, ownJob))
		if err != nil || len(res) != 1 {
			return fmt.Sprintf("%v %v", res, err)
		}
		return ""
	})
	if res, err := query(shard0.url, fmt.Sprintf(`{job=%q, __name__=~"sms_balance|sms_balance_low_threshold|sms_provider_.+"}`, ownJob)); err != nil || len(res) != 0 {
		t.Errorf("job %s carries account series in probe-only mode: %v %v", ownJob, res, err)
	}
	if res, err := query(servers[1].url, fmt.Sprintf(`up{job=%q}`, ownJob)); err != nil || len(res) != 0 {
		t.Errorf("%s scrapes job %s too: %v %v", servers[1], ownJob, res, err)
	}
	_, metrics, err := httpGet("http://" + exporterAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(metrics, []byte("\nsms_balance_exporter_build_info{")) {
		t.Errorf("/metrics lacks sms_balance_exporter_build_info")
	}
	for _, line := range strings.Split(string(metrics), "\n") {
		if strings.HasPrefix(line, "sms_balance{") || strings.HasPrefix(line, "sms_provider_") {
			t.Errorf("/metrics in probe-only mode carries %q", line)
		}
	}

	// The provider was called at most once per cache_ttl per account (plus
	// the first call), though four Prometheus servers probe each account
	// twice a second between them.
	if d := e2eMinWindow - time.Since(windowStart); d > 0 {
		time.Sleep(d)
	}
	// Both counts are read before the window's end is: calls made after
	// it cannot be counted in it.
	hits := sim.Hits(balancePath)
	mu.Lock()
	perAccount := map[string]int{}
	for tok, n := range calls {
		perAccount[strings.TrimPrefix(tok, "tok-")] = n
	}
	mu.Unlock()
	window := time.Since(windowStart)
	bound := int(math.Ceil(window.Seconds()/e2eCacheTTL.Seconds())) + 1
	if float64(hits)/float64(len(names)) > float64(bound) {
		t.Errorf("provider called %d times for %d accounts in %s: more than ceil(%s/%s)+1 = %d per account",
			hits, len(names), window.Round(time.Millisecond), window.Round(time.Millisecond), e2eCacheTTL, bound)
	}
	for _, name := range names {
		if n := perAccount[name]; n < 1 || n > bound {
			t.Errorf("account %s: provider called %d times in %s, want 1…%d", name, n, window.Round(time.Millisecond), bound)
		}
	}
	probes := 0
	for _, p := range servers {
		res, err := query(p.url, fmt.Sprintf(`count_over_time(up{job=%q}[1h])`, probeJob))
		if err != nil {
			t.Fatalf("%s: counting probes: %v", p, err)
		}
		for _, s := range res {
			probes += int(s.float())
		}
	}
	if probes <= hits {
		t.Errorf("%d probes for %d provider calls: the test does not exercise the cache", probes, hits)
	}
	t.Logf("%d probes over %s caused %d provider calls (%v per account; bound %d)", probes, window.Round(time.Millisecond), hits, perAccount, bound)
	t.Logf("sharding end-to-end test ran in %s", time.Since(began).Round(100*time.Millisecond))
}
