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
	"io"
	"os"

	"github.com/socotra-go/sdk/internal/manifestcheck"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run checks the files named in args and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return manifestcheck.Run("manifestcheck", args, stdin, stdout, stderr)
}
