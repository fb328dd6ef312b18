// Package manifestcheck is the manifest checker shared by the manifestcheck command and
// "socotra-webhooks manifest check": it prints each syntax error, validation error and warning of
// socotra-app.json files as "file:line:col: message" (or as GitHub Actions workflow commands) and
// returns the exit status:
//
//	os.Exit(manifestcheck.Run("manifestcheck", os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
package manifestcheck

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/socotra-go/sdk/manifest"
)

// Run checks the files named in args (flags may come before or after them; no file means
// ./socotra-app.json and "-" reads stdin) and returns the exit status: 1 when a file has an error (or,
// with -strict, a warning), 2 on a usage mistake, 0 otherwise. name is the command's name in messages.
func Run(name string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	strict := fs.Bool("strict", false, "treat warnings as errors")
	format := fs.String("format", "text", `output format: "text" (file:line:col: message) or "github" (workflow commands)`)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s [-strict] [-format text|github] [socotra-app.json ...]\n", name)
		fs.PrintDefaults()
	}
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0)) // a file; flags may follow it
		args = fs.Args()[1:]
	}
	var print printer
	switch *format {
	case "text":
		print = printText
	case "github":
		print = printGitHub
	default:
		fmt.Fprintf(stderr, "%s: unknown -format %q: use text or github\n", name, *format)
		return 2
	}
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
