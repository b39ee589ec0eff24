package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/generic"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/registry"
)

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// TestREADMEConfigurationExamples checks that every exporter configuration
// example in the README is valid (account lists are checked as the
// accounts of one), so that the documentation cannot rot.
func TestREADMEConfigurationExamples(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := yamlBlock.FindAllStringSubmatch(string(data), -1)
	httpAccounts := 0
	for i, b := range blocks {
		text := b[1]
		if !strings.Contains(text, "provider:") {
			continue // a Prometheus snippet: deploy/ tests check those files with promtool
		}
		if firstLine(text) == "- name:" {
			text = "accounts:\n" + text
		}
		cfg, err := config.Parse([]byte(text), "README.md", config.Options{
			Providers: registry.All,
			LookupEnv: func(k string) (string, bool) { return "value-of-" + k, true },
			ReadFile:  func(string) ([]byte, error) { return []byte("from-a-file"), nil },
		})
		if err != nil {
			t.Errorf("README YAML example %d does not load:\n%s\n%v", i, text, err)
			continue
		}
		for _, a := range cfg.Accounts {
			if a.Provider == generic.Spec.ID {
				httpAccounts++
			}
		}
	}
	if httpAccounts < 4 {
		t.Errorf("the README has %d http provider examples, want Termii, Arkesel, mNotify and one with oauth2", httpAccounts)
	}
}

// firstLine returns the start of the first line of text that is not blank
// or a comment, trimmed, up to its first space after a colon.
func firstLine(text string) string {
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if i := strings.Index(l, ": "); i >= 0 {
			return l[:i+1]
		}
		return l
	}
	return ""
}

var shBlock = regexp.MustCompile("(?s)```sh\n(.*?)```")

// TestREADMECommands follows the README's "Try it, test it" and "Build and
// run" sections literally, in a fresh directory holding only the documented
// exporter.yml: every command runs (bash .ci/test is what runs this test).
// Commands that serve are started, checked and stopped; no command reaches
// beyond loopback (HTTPS_PROXY points at a closed loopback port, so --once
// against the real providers fails fast with network errors).
func TestREADMECommands(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	section := readme[strings.Index(readme, "## Try it, test it"):strings.Index(readme, "## Configuration")]
	dir := t.TempDir()
	conf, err := os.ReadFile("../../exporter.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "exporter.yml"), conf, 0o600); err != nil {
		t.Fatal(err)
	}
	closed := freePort(t) // nothing listens there
	var prelude strings.Builder
	fmt.Fprintf(&prelude, "export HTTPS_PROXY=http://%s HTTP_PROXY=http://%s\n", closed, closed)
	exe := filepath.Join(dir, "sms_balance_exporter")
	ran := 0
	for _, block := range shBlock.FindAllStringSubmatch(section, -1) {
		for _, line := range strings.Split(block[1], "\n") {
			cmd := strings.TrimSpace(line)
			if i := strings.Index(cmd, " #"); i >= 0 {
				cmd = strings.TrimSpace(cmd[:i])
			}
			if cmd == "" || strings.HasPrefix(cmd, "#") {
				continue
			}
			ran++
			switch {
			case cmd == "bash .ci/test":
				// This test is part of it.
			case cmd == "go build -o sms_balance_exporter ./cmd/sms_balance_exporter":
				build := exec.Command("go", "build", "-o", exe, "./cmd/sms_balance_exporter")
				build.Dir = "../.."
				if out, err := build.CombinedOutput(); err != nil {
					t.Fatalf("%s: %v\n%s", cmd, err, out)
				}
			case strings.HasPrefix(cmd, "export "), strings.HasPrefix(cmd, "mkdir "):
				prelude.WriteString(cmd + "\n")
			case strings.HasPrefix(cmd, "go run ./cmd/sms_balance_exporter"), strings.HasPrefix(cmd, "./sms_balance_exporter"):
				args, bin := strings.Fields(cmd), exe
				if args[0] == "go" { // go run: the binary TestMain built from the same source
					args, bin = args[3:], binary
				} else {
					args = args[1:]
				}
				readmeRun(t, dir, bin, prelude.String(), cmd, args)
			default:
				t.Errorf("the README has a command this test does not know how to run: %q", cmd)
			}
		}
	}
	if ran < 8 {
		t.Errorf("ran %d README commands; the sections have at least 8", ran)
	}
}

// readmeRun runs one exporter command of the README in dir after prelude
// (the exports and files of the lines before it) and checks its outcome.
func readmeRun(t *testing.T, dir, exe, prelude, line string, args []string) {
	t.Helper()
	joined := strings.Join(args, " ")
	once, check := strings.Contains(joined, "--once"), strings.Contains(joined, "--config.check")
	if !once && !check { // it serves: start it on a free port, look, stop it
		addr := freePort(t)
		args = append(args, "--web.listen-address="+addr)
	}
	script := prelude + "exec " + exe + " " + strings.Join(args, " ")
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	var out syncBuf
	cmd.Stdout, cmd.Stderr = &out, &out
	if once || check {
		err := cmd.Run()
		code := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		want, wantText := 0, "SUCCESS: exporter.yml is valid: 3 account(s)"
		switch {
		case once && strings.Contains(joined, "--demo"):
			want, wantText = 1, "error (auth)" // the revoked account, by design
		case once:
			want, wantText = 1, "error (network)" // the made-up credentials never leave loopback here
		}
		if code != want || !strings.Contains(out.String(), wantText) {
			t.Errorf("README %q: exit %d, want %d with %q:\n%s", line, code, want, wantText, out.String())
		}
		return
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	base := "http://" + args[len(args)-1][len("--web.listen-address="):]
	path, want := "/sd", `"__meta_sms_account":"marketing"` // serving exporter.yml: never scraped, no provider called
	if strings.Contains(joined, "--demo") {
		path, want = "/metrics", `sms_balance{account="eu-alerts"`
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(base + path)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(body), want) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("README %q: %s never showed %q:\n%s", line, path, want, out.String())
		}
	}
}

// TestREADMEDockerRun checks the README's `docker run` command without
// Docker: the image's files are laid out as its -v mounts put them (the
// working directory holding exporter.yml and the secrets/ of "Build and
// run"), its -e variables are passed on, and the image's CMD
// (--config.file from the Dockerfile) must then find a valid
// configuration. The secrets were mounted at /run/secrets, where
// exporter.yml does not look, and the variables were not passed.
func TestREADMEDockerRun(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\ndocker run (.*?)\n` + "```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("no docker run command in the README")
	}
	args := strings.Fields(strings.ReplaceAll(string(m[1]), "\\\n", " "))
	cmd := regexp.MustCompile(`CMD \["(--config\.file=[^"]+)"\]`).FindSubmatch(dockerfile)
	if cmd == nil {
		t.Fatal("no CMD [\"--config.file=…\"] in the Dockerfile")
	}

	// The working directory of "Build and run".
	pwd := t.TempDir()
	conf, err := os.ReadFile("../../exporter.yml")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"exporter.yml": string(conf), "secrets/rti_client_secret": "my-rti-client-secret\n", "secrets/smsonlinegh_api_key": "my-smsonlinegh-key\n"}
	for name, text := range files {
		p := filepath.Join(pwd, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	hostEnv := map[string]string{"RTI_CLIENT_ID": "my-rti-client-id", "D7_TOKEN": "my-d7-token"}

	root := t.TempDir() // the container's /
	var env []string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-e":
			i++
			name := args[i]
			v, ok := hostEnv[name]
			if !ok {
				t.Fatalf("docker run passes -e %s, which Build and run does not set", name)
			}
			env = append(env, name+"="+v)
		case "-v":
			i++
			parts := strings.Split(args[i], ":")
			if len(parts) < 2 {
				t.Fatalf("mount %q", args[i])
			}
			src := strings.Replace(parts[0], "$PWD", pwd, 1)
			dst := filepath.Join(root, parts[1])
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := exec.Command("cp", "-r", src, dst).Run(); err != nil {
				t.Fatalf("mount %s: %v", args[i], err)
			}
		case "-p":
			i++
		}
	}
	configFile := strings.TrimPrefix(string(cmd[1]), "--config.file=")
	run := exec.Command(binary, "--config.check", "--config.file="+filepath.Join(root, configFile))
	run.Env = env
	out, err := run.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Errorf("the README's docker run, as laid out: %v\n%s", err, out)
	}
}
