package generic

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"text/template"
	tparse "text/template/parse"
)

// Limits on templates. They keep a mistyped (or fuzzed) template from
// exhausting memory or time: templates are small expressions, not programs.
const (
	// maxTemplateBytes bounds the text of one template.
	maxTemplateBytes = 16 << 10
	// maxExpandedBytes bounds what one template, or one function call in it,
	// produces.
	maxExpandedBytes = 32 << 10
	// maxFormatWidth bounds a printf width or precision.
	maxFormatWidth = 999
)

// placeholder is the value every credential takes when a template is
// checked at load.
const placeholder = "placeholder"

// templateData is what a template sees: only the account's credentials.
type templateData struct {
	Credentials map[string]string
}

// templateFuncs replaces the built-in functions that build strings with
// bounded versions that behave the same on ordinary input. No function is
// added: the others (and, or, not, len, index, slice, eq, …) are the
// text/template built-ins.
var templateFuncs = template.FuncMap{
	"print":    func(args ...any) (string, error) { return bounded("print", fmt.Sprint(args...)) },
	"println":  func(args ...any) (string, error) { return bounded("println", fmt.Sprintln(args...)) },
	"printf":   boundedPrintf,
	"html":     func(args ...any) (string, error) { return bounded("html", template.HTMLEscaper(args...)) },
	"js":       func(args ...any) (string, error) { return bounded("js", template.JSEscaper(args...)) },
	"urlquery": func(args ...any) (string, error) { return bounded("urlquery", template.URLQueryEscaper(args...)) },
}

func bounded(fn, s string) (string, error) {
	if len(s) > maxExpandedBytes {
		return "", fmt.Errorf("%s: result longer than %d bytes", fn, maxExpandedBytes)
	}
	return s, nil
}

// checkFormat rejects a printf width or precision above maxFormatWidth, or
// one taken from an argument (*), before fmt allocates it.
func checkFormat(format string) error {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		n := 0
		for i++; i < len(format); i++ {
			c := format[i]
			if c == '*' {
				return errors.New("printf: a width or precision taken from an argument (*) is not supported")
			}
			if '0' <= c && c <= '9' {
				if n = n*10 + int(c-'0'); n > maxFormatWidth {
					return fmt.Errorf("printf: widths and precisions above %d are not supported", maxFormatWidth)
				}
				continue
			}
			if strings.IndexByte("+-# .[]", c) < 0 {
				break // the verb
			}
			n = 0
		}
	}
	return nil
}

func boundedPrintf(format string, args ...any) (string, error) {
	if err := checkFormat(format); err != nil {
		return "", err
	}
	return bounded("printf", fmt.Sprintf(format, args...))
}

// parseTemplate parses one template (named after its option key) and
// rejects what could loop or recurse: range, and template/block calls.
// Executing it with missing credentials is an error (missingkey=error).
func parseTemplate(name, text string) (*template.Template, error) {
	if len(text) > maxTemplateBytes {
		return nil, fmt.Errorf("template longer than %d bytes", maxTemplateBytes)
	}
	t, err := template.New(name).Option("missingkey=error").Funcs(templateFuncs).Parse(text)
	if err != nil {
		return nil, err
	}
	if t.Tree == nil || t.Root == nil {
		return t, nil
	}
	if err := checkNodes(t.Root); err != nil {
		return nil, err
	}
	return t, nil
}

var errRange = errors.New("range is not supported in templates: refer to each credential as {{ .Credentials.NAME }}")

// checkNodes walks a template's tree and rejects range and template calls.
func checkNodes(n tparse.Node) error {
	switch n := n.(type) {
	case *tparse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkNodes(c); err != nil {
				return err
			}
		}
	case *tparse.RangeNode:
		return errRange
	case *tparse.TemplateNode:
		return fmt.Errorf("{{template %q}} is not supported in templates", n.Name)
	case *tparse.IfNode:
		return checkBranch(&n.BranchNode)
	case *tparse.WithNode:
		return checkBranch(&n.BranchNode)
	}
	return nil
}

func checkBranch(b *tparse.BranchNode) error {
	if err := checkNodes(b.List); err != nil {
		return err
	}
	if b.ElseList != nil {
		return checkNodes(b.ElseList)
	}
	return nil
}

// referencedNames returns every identifier and string constant in a
// template: a superset of the credential names it may look up, which get
// placeholder values when the template is checked at load (when the names
// the account gives are not known yet).
func referencedNames(t *template.Template) []string {
	seen := map[string]bool{}
	var walk func(n tparse.Node)
	walk = func(n tparse.Node) {
		switch n := n.(type) {
		case *tparse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *tparse.ActionNode:
			walk(n.Pipe)
		case *tparse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *tparse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *tparse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				walk(c)
			}
		case *tparse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *tparse.ChainNode:
			walk(n.Node)
			for _, f := range n.Field {
				seen[f] = true
			}
		case *tparse.FieldNode:
			for _, f := range n.Ident {
				seen[f] = true
			}
		case *tparse.VariableNode:
			for _, f := range n.Ident[1:] {
				seen[f] = true
			}
		case *tparse.StringNode:
			seen[n.Text] = true
		}
	}
	if t != nil && t.Tree != nil {
		walk(t.Root)
	}
	names := make([]string, 0, len(seen))
	for k := range seen {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// limitedWriter fails once more than maxExpandedBytes are written, which
// stops the template.
type limitedWriter struct {
	b strings.Builder
}

var errTooLong = fmt.Errorf("expands to more than %d bytes", maxExpandedBytes)

func (w *limitedWriter) Write(p []byte) (int, error) {
	if w.b.Len()+len(p) > maxExpandedBytes {
		return 0, errTooLong
	}
	return w.b.Write(p)
}

// expand executes t with the credentials. A reference to a credential that
// is not in creds is an error naming it.
func expand(t *template.Template, creds map[string]string) (string, error) {
	if t == nil {
		return "", nil
	}
	var w limitedWriter
	if err := t.Execute(&w, templateData{Credentials: creds}); err != nil {
		if errors.Is(err, errTooLong) {
			return "", errTooLong
		}
		return "", err
	}
	return w.b.String(), nil
}

// missingKey extracts the name text/template gives in its error for a
// missing map key.
var missingKey = regexp.MustCompile(`map has no entry for key "((?:[^"\\]|\\.)*)"`)

// credentialError explains an expansion error against the account's
// credential names, naming an unknown credential.
func credentialError(err error, names []string) error {
	m := missingKey.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	have := "none"
	if len(names) > 0 {
		sorted := append([]string(nil), names...)
		sort.Strings(sorted)
		have = strings.Join(sorted, ", ")
	}
	return fmt.Errorf("unknown credential %q (the account's credentials: %s): %w", m[1], have, err)
}

// placeholders maps each name to the placeholder value.
func placeholders(names []string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[n] = placeholder
	}
	return m
}
