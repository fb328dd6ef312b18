package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/manifestcheck"
	"github.com/socotra-go/sdk/internal/safeurl"
	"github.com/socotra-go/sdk/manifest"
	"github.com/socotra-go/sdk/socotra"
)

var manifestCmd = &command{
	name:    "manifest",
	summary: "check a socotra-app.json, or register and unregister its webhooks",
	usage: `manifest check [FILE]... [-strict] [-format text|github]
manifest register FILE --url PUBLIC_URL [--secret S] [--instance ID] [--strict]
manifest unregister FILE --url PUBLIC_URL [--instance ID]`,
	help: `
Check prints each syntax error, validation error and warning of the manifests as file:line:col: message
(the same checker as manifestcheck) and exits 1 when there is an error, or with -strict a warning.
-format github prints GitHub Actions workflow commands, so problems show on a pull request. Without
FILE it checks ./socotra-app.json; "-" reads standard input.

Register does for a self-hosted app what the Marketplace does on start: it registers every
socotra.webhooks entry as PUBLIC_URL joined with the entry's path, for its events, on the tenant;
unregister removes them (socotra.Lifecycle). --secret S (default $SOCOTRA_WEBHOOK_SECRET) is the
secret the webhooks are signed with, the one the app verifies with; without it they are registered
unsigned, and a verifying receiver answers 401 to every delivery. The platform is the manifest's targetPlatform (Legacy for
ConnectedCore or none, Core for EnterpriseCore) unless --platform says otherwise.

` + connHelp + `
Examples:
  socotra-webhooks manifest check socotra-app.json -strict
  socotra-webhooks manifest check socotra-app.json -format github
  socotra-webhooks manifest register socotra-app.json --url https://my-app.example.com --secret "$WEBHOOK_SECRET"
  socotra-webhooks manifest unregister socotra-app.json --url https://my-app.example.com
`,
	run: runManifest,
}

// exitCode ends the command with its status; what needed saying was printed already.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

func runManifest(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: check, register or unregister")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "check":
		if code := manifestcheck.Run(prog+" manifest check", args, e.stdin, e.stdout, e.stderr); code != 0 {
			return exitCode(code)
		}
		return nil
	case "register", "unregister":
	case "-h", "-help", "--help":
		return flag.ErrHelp
	default:
		return usagef("unknown subcommand %q: use check, register or unregister", sub)
	}
	var c conn
	fs := newFlags("manifest " + sub)
	c.addFlags(fs)
	publicURL := fs.String("url", "", "")
	instance := fs.String("instance", "", "")
	secretFlag := fs.String("secret", "", "")
	strict := fs.Bool("strict", false, "")
	platformSet := false
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) { platformSet = platformSet || f.Name == "platform" })
	if len(pos) != 1 {
		return usagef("manifest %s needs one FILE", sub)
	}
	if *publicURL == "" {
		return usagef("manifest %s needs --url PUBLIC_URL: the app's public base URL", sub)
	}
	m, err := manifest.Load(pos[0])
	if err != nil {
		return err
	}
	if !platformSet {
		c.platform = "core"
		if m.Platform().Events() == events.Legacy {
			c.platform = "legacy"
		}
	}
	reg, err := c.registrar(e)
	if err != nil {
		return err
	}
	var opts []socotra.LifecycleOption
	if *instance != "" {
		opts = append(opts, socotra.WithInstance(*instance))
	}
	if *strict {
		opts = append(opts, socotra.WithStrictManifest())
	}
	if sub == "register" {
		if secret := firstEnv(e, *secretFlag, "SOCOTRA_WEBHOOK_SECRET"); secret != "" {
			opts = append(opts, socotra.WithDefaultSettings(socotra.WebhookSettings{Secret: secret}))
		} else {
			fmt.Fprintf(e.stderr, "note: no --secret or $SOCOTRA_WEBHOOK_SECRET: registering unsigned webhooks; a verifying receiver answers 401\n")
		}
	}
	l, err := socotra.NewLifecycle(m, *publicURL, reg, opts...)
	if err != nil {
		return err
	}
	if e.progress { // on a terminal, say what the wait is for
		fmt.Fprintf(e.stderr, "%sing the webhooks of %s on %s at %s…\n", sub, m.Name, c.platform, safeurl.String(firstEnv(e, c.apiURL, "SOCOTRA_API_URL")))
	}
	if sub == "unregister" {
		if err := l.Stop(ctx); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "unregistered the webhooks of %s (%s) on %s\n", m.Name, l.Prefix(), c.platform)
		return nil
	}
	if err := l.Start(ctx); err != nil {
		return err
	}
	regs, err := reg.Registrations(ctx, l.Prefix())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "registered %d webhook(s) of %s on %s:\n", len(regs), m.Name, c.platform)
	tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
	for _, r := range regs {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Name, safeurl.String(r.URL), strings.Join(names(r.Events), ","))
	}
	return tw.Flush()
}
