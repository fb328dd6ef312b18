// Command manifestcheck checks Marketplace app manifests (socotra-app.json)
// for CI: it prints each syntax error, validation error and warning as
// "file:line:col: message" and exits 1 when there is an error, 2 on a usage
// mistake, and 0 otherwise.
//
// Usage:
//
//	go run github.com/socotra-go/sdk/manifest/cmd/manifestcheck [-strict] [-format text|github] [file ...]
//
// With no file it checks ./socotra-app.json; "-" reads standard input.
// -strict treats warnings (event names the target platform never sends,
// unknown event names, unknown keys in webhook entries, keys that look
// misspelt) as errors. -format github prints GitHub
// Actions workflow commands, so the problems show on the pull request:
//
//	::error file=socotra-app.json,line=21,col=2::trailing comma before '}': remove the ','
package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/socotra-go/sdk/manifest"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run checks the files named in args and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("manifestcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	strict := fs.Bool("strict", false, "treat warnings as errors")
	format := fs.String("format", "text", `output format: "text" (file:line:col: message) or "github" (workflow commands)`)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: manifestcheck [-strict] [-format text|github] [socotra-app.json ...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var print printer
	switch *format {
	case "text":
		print = printText
	case "github":
		print = printGitHub
	default:
		fmt.Fprintf(stderr, "manifestcheck: unknown -format %q: use text or github\n", *format)
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		files = []string{manifest.FileName}
	}
	failed := false
	for _, file := range files {
		if !check(file, *strict, stdin, stdout, print) {
			failed = true
		}
	}
	if failed {
		return 1
	}
	return 0
}

// check prints file's problems and reports whether it passed.
func check(file string, strict bool, stdin io.Reader, out io.Writer, print printer) bool {
	m, err := load(file, stdin)
	if err != nil {
		syntax := manifest.SyntaxErrors(err)
		for _, e := range syntax {
			print(out, file, e.Line, e.Column, false, e.Msg)
		}
		if len(syntax) == 0 {
			print(out, file, 0, 0, false, err.Error())
		}
		return false
	}
	errs, warns := m.Check()
	all := append(slices.Clone(errs), warns...)
	slices.SortStableFunc(all, func(a, b *manifest.Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	for _, p := range all {
		print(out, file, p.Line, p.Column, p.Warning, p.Text())
	}
	return len(errs) == 0 && (!strict || len(warns) == 0)
}

func load(file string, stdin io.Reader) (*manifest.Manifest, error) {
	if file != "-" {
		return manifest.Load(file)
	}
	data, err := io.ReadAll(stdin)
	if err != nil {
		return nil, err
	}
	return manifest.Parse(data)
}

// printer writes one problem; line and col are 0 when unknown.
type printer func(w io.Writer, file string, line, col int, warning bool, msg string)

func printText(w io.Writer, file string, line, col int, warning bool, msg string) {
	if warning {
		msg = "warning: " + msg
	}
	if line == 0 {
		fmt.Fprintf(w, "%s: %s\n", file, msg)
		return
	}
	fmt.Fprintf(w, "%s:%d:%d: %s\n", file, line, col, msg)
}

// printGitHub writes a GitHub Actions ::error or ::warning command.
func printGitHub(w io.Writer, file string, line, col int, warning bool, msg string) {
	kind := "error"
	if warning {
		kind = "warning"
	}
	props := "file=" + propertyEscaper.Replace(file)
	if line > 0 {
		props += fmt.Sprintf(",line=%d,col=%d", line, col)
	}
	fmt.Fprintf(w, "::%s %s::%s\n", kind, props, messageEscaper.Replace(msg))
}

// Escaping of workflow command messages and property values.
var (
	messageEscaper  = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)
