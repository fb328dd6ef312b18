package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// env is what a command may touch of the outside world, so tests can run commands in process too.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// progress is true when standard error is a terminal: long operations then show progress there.
	progress bool
}

func newEnv() *env {
	return &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, progress: isTerminal(os.Stderr)}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// command is one subcommand. usage is its synopsis (one or more lines without the program name);
// help is the text after it, examples included.
type command struct {
	name    string
	summary string
	usage   string
	help    string
	run     func(ctx context.Context, e *env, args []string) error
}

const prog = "socotra-webhooks"

var commands []*command

func init() {
	commands = []*command{triggerCmd, listenCmd, serveCmd, webhooksCmd, divertedCmd, manifestCmd}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// usageError is a mistake in how the command was called: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// run runs the command line args and returns the exit status.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		topUsage(e.stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return help(e, args[1:])
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(e.stderr, "%s: unknown command %q\nRun '%s help' for the list of commands.\n", prog, args[0], prog)
		return 2
	}
	err := c.run(ctx, e, args[1:])
	var (
		ue   *usageError
		code exitCode
	)
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.Is(err, flag.ErrHelp):
		printHelp(e.stdout, c)
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "%s %s: %s\nusage:\n%sRun '%s help %s' for details and examples.\n",
			prog, c.name, ue.msg, indentUsage(c.usage), prog, c.name)
		return 2
	default:
		fmt.Fprintf(e.stderr, "%s %s: %v\n", prog, c.name, err)
		return 1
	}
}

func help(e *env, args []string) int {
	if len(args) == 0 {
		topUsage(e.stdout)
		return 0
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(e.stderr, "%s help: unknown command %q\nRun '%s help' for the list of commands.\n", prog, args[0], prog)
		return 2
	}
	printHelp(e.stdout, c)
	return 0
}

func topUsage(w io.Writer) {
	fmt.Fprintf(w, "%s is the local development loop for Socotra webhooks.\n\nUsage:\n\n\t%s <command> [arguments]\n\nThe commands are:\n\n", prog, prog)
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "\t%s\t%s\n", c.name, c.summary)
	}
	fmt.Fprintf(tw, "\thelp\tshow help for a command\n")
	tw.Flush()
	fmt.Fprintf(w, "\nRun '%s help <command>' for its flags and examples.\n"+
		"Exit status: 0 success, 1 failure (bad input, or the remote refused), 2 bad usage.\n", prog)
}

func printHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "usage:\n%s\n%s\n", indentUsage(c.usage), strings.TrimSpace(c.help))
}

func indentUsage(u string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(u), "\n") {
		fmt.Fprintf(&b, "  %s %s\n", prog, strings.TrimSpace(l))
	}
	return b.String()
}

// newFlags returns a flag set that reports its errors to the caller instead of printing them.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses args with fs, allowing flags after positional arguments (trigger EVENT --to URL), and
// returns the positional arguments. A bad flag is a usage error; -h is flag.ErrHelp.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// flag stops at the first non-flag argument, and after "--" (which it removes).
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// firstEnv returns the first non-empty of v and the named environment variables.
func firstEnv(e *env, v string, names ...string) string {
	if v != "" {
		return v
	}
	for _, n := range names {
		if s := e.getenv(n); s != "" {
			return s
		}
	}
	return ""
}
