// Command manifestcheck checks Marketplace app manifests (socotra-app.json)
// for CI: it prints each syntax error, validation error and warning as
// "file:line:col: message" and exits 1 when there is an error, 2 on a usage
// mistake, and 0 otherwise.
//
// Usage:
//
//	go run github.com/socotra-go/sdk/manifest/cmd/manifestcheck [-strict] [file ...]
//
// With no file it checks ./socotra-app.json; "-" reads standard input.
// -strict treats warnings (unknown event names, unknown keys in webhook
// entries, keys that look misspelt) as errors.
package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

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
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: manifestcheck [-strict] [socotra-app.json ...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		files = []string{manifest.FileName}
	}
	failed := false
	for _, file := range files {
		if !check(file, *strict, stdin, stdout) {
			failed = true
		}
	}
	if failed {
		return 1
	}
	return 0
}

// check prints file's problems and reports whether it passed.
func check(file string, strict bool, stdin io.Reader, out io.Writer) bool {
	m, err := load(file, stdin)
	if err != nil {
		syntax := manifest.SyntaxErrors(err)
		for _, e := range syntax {
			fmt.Fprintf(out, "%s:%d:%d: %s\n", file, e.Line, e.Column, e.Msg)
		}
		if len(syntax) == 0 {
			fmt.Fprintf(out, "%s: %v\n", file, err)
		}
		return false
	}
	errs, warns := m.Check()
	all := append(slices.Clone(errs), warns...)
	slices.SortStableFunc(all, func(a, b *manifest.Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	for _, p := range all {
		fmt.Fprintln(out, format(file, p))
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

func format(file string, p *manifest.Problem) string {
	text := p.Text()
	if p.Warning {
		text = "warning: " + text
	}
	if p.Line == 0 {
		return file + ": " + text
	}
	return fmt.Sprintf("%s:%d:%d: %s", file, p.Line, p.Column, text)
}
