// Command testsummary reads `go test -json` from standard input, prints each
// package's result and the output of every failed test, and ends with one
// line "N passed, N failed, N skipped" (tests and subtests). It exits 1 when
// anything failed, a package included (a build failure).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

func main() {
	var passed, failed, skipped int
	badPackage := false
	output := map[string]*strings.Builder{} // by package/test, until it passes
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 16<<20)
	for in.Scan() {
		var e event
		if err := json.Unmarshal(in.Bytes(), &e); err != nil {
			fmt.Println(in.Text()) // not JSON: a build error
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			if output[key] == nil {
				output[key] = &strings.Builder{}
			}
			output[key].WriteString(e.Output)
		case "pass", "fail", "skip":
			if e.Test == "" {
				status := map[string]string{"pass": "ok  ", "fail": "FAIL", "skip": "----"}[e.Action]
				fmt.Printf("%s %s %.1fs\n", status, e.Package, e.Elapsed)
				if e.Action == "fail" {
					badPackage = true
					if o := output[key]; o != nil {
						fmt.Print(o.String())
					}
				}
				break
			}
			switch e.Action {
			case "pass":
				passed++
			case "fail":
				failed++
				if o := output[key]; o != nil {
					fmt.Print(o.String())
				}
			case "skip":
				skipped++
			}
			delete(output, key)
		}
	}
	fmt.Printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 || badPackage {
		os.Exit(1)
	}
}
