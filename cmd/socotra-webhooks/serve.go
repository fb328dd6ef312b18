package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/socotra-go/sdk/socotra/socotratest"
)

var serveCmd = &command{
	name:    "serve",
	summary: "run the fake tenant, with a delivery inspector page",
	usage:   `serve [--addr 127.0.0.1:0] [--faults SPEC] [--seed N] [--retry-unit D] [--json]`,
	help: `
Serve runs the fake Socotra tenant (package socotratest) as a process, for any language's tests and for
manual work. It serves both platforms' webhook APIs, delivers signed events to the webhooks registered
there with Socotra's retries, diversion and suspension, and prints how to reach it: base URL, tenant
locator, Core token and Legacy credentials, as text or, with --json, as one JSON object on one line.
It stops cleanly on Ctrl-C (SIGINT) or SIGTERM.

Events are emitted through its control endpoint (POST ` + socotratest.ControlEmitPath + `, authenticated with the
Core token), which "trigger --tenant" uses. The delivery inspector page, at the URL it prints, shows
the registered webhooks and every delivery attempt, with buttons to emit and to resend; the URL carries
a key, so only whoever started serve can use it.

Flags:
  --addr HOST:PORT  where to listen (default 127.0.0.1:0, a free loopback port); an address that is not
                    loopback needs --allow-remote, since the fake's credentials are printed in plain text
  --allow-remote    allow --addr on a non-loopback interface
  --faults SPEC     delivery faults as name=rate pairs, comma-separated: duplicate, reorder, delay,
                    drop, corrupt-signature, tamper-body, stall (rates 0..1), and the durations
                    reorder-window, delay-by, stall-for; for example duplicate=0.2,drop=0.05
  --seed N          seed of the fault generator, so a run repeats (default 1)
  --retry-unit D    one unit of a webhook's retry interval (default 1s)
  --delivery-timeout D  how long one delivery attempt may take (default 10s)
  --json            print the connection details as one JSON object

Examples:
  socotra-webhooks serve
  socotra-webhooks serve --json --faults duplicate=0.2,reorder=0.3 --seed 7
  socotra-webhooks serve --addr 127.0.0.1:8899 --retry-unit 100ms
`,
	run: runServe,
}

// serveInfo is what serve prints: how to reach the fake tenant.
type serveInfo struct {
	URL            string `json:"url"`
	TenantLocator  string `json:"tenantLocator"`
	CoreToken      string `json:"coreToken"`
	LegacyUsername string `json:"legacyUsername"`
	LegacyPassword string `json:"legacyPassword"`
	LegacyHostName string `json:"legacyHostName"`
	AdminUsername  string `json:"legacyAdminUsername"`
	AdminPassword  string `json:"legacyAdminPassword"`
	ControlURL     string `json:"controlURL"`
	InspectorURL   string `json:"inspectorURL"`
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags("serve")
	addr := fs.String("addr", "127.0.0.1:0", "")
	allowRemote := fs.Bool("allow-remote", false, "")
	faultSpec := fs.String("faults", "", "")
	seed := fs.Uint64("seed", 1, "")
	retryUnit := fs.Duration("retry-unit", time.Second, "")
	deliveryTimeout := fs.Duration("delivery-timeout", 10*time.Second, "")
	asJSON := fs.Bool("json", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	faults, err := parseFaults(*faultSpec)
	if err != nil {
		return err
	}
	faults.Seed = *seed
	if err := faults.Validate(); err != nil {
		return usagef("--faults: %v", err)
	}
	if *retryUnit < 0 || *deliveryTimeout <= 0 {
		return usagef("--retry-unit must not be negative and --delivery-timeout must be positive")
	}
	if err := checkLoopback(*addr, *allowRemote); err != nil {
		return err
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	key := randomKey()
	insp := newInspector(key)
	srv := socotratest.NewServer(
		socotratest.WithListener(l),
		socotratest.WithControl(),
		socotratest.WithFaults(faults),
		socotratest.WithRetryUnit(*retryUnit),
		socotratest.WithDeliveryTimeout(*deliveryTimeout),
		socotratest.WithHandler(inspectorPrefix, insp),
	)
	defer srv.Close()
	if err := insp.attach(srv); err != nil {
		return err
	}

	info := serveInfo{
		URL: srv.URL(), TenantLocator: srv.TenantLocator(), CoreToken: srv.CoreToken(),
		ControlURL: srv.URL() + socotratest.ControlEmitPath, InspectorURL: srv.URL() + inspectorPrefix + "?key=" + key,
	}
	info.LegacyUsername, info.LegacyPassword, info.LegacyHostName = srv.LegacyCredentials()
	info.AdminUsername, info.AdminPassword = srv.LegacyAdminCredentials()
	state, err := writeState(e.getenv, info)
	if err != nil {
		fmt.Fprintf(e.stderr, "serve: could not save the connection details for trigger --tenant: %v\n", err)
	}
	if state != "" {
		defer os.Remove(state)
	}
	if *asJSON {
		if err := json.NewEncoder(e.stdout).Encode(info); err != nil {
			return err
		}
	} else {
		printServeInfo(e, info, faults)
	}
	if !*asJSON {
		go logDeliveries(ctx, e, srv)
	}
	<-ctx.Done()
	if !*asJSON {
		fmt.Fprintln(e.stderr, "stopping: waiting for deliveries in flight")
	}
	srv.Close()
	return nil
}

func printServeInfo(e *env, in serveInfo, f socotratest.Faults) {
	w := e.stdout
	fmt.Fprintf(w, "Fake Socotra tenant listening on %s\n\n", in.URL)
	fmt.Fprintf(w, "  Core      tenant locator  %s\n", in.TenantLocator)
	fmt.Fprintf(w, "            token           %s\n", in.CoreToken)
	fmt.Fprintf(w, "  Legacy    user            %s / %s (hostName %s)\n", in.LegacyUsername, in.LegacyPassword, in.LegacyHostName)
	fmt.Fprintf(w, "            administrator   %s / %s\n", in.AdminUsername, in.AdminPassword)
	fmt.Fprintf(w, "  Inspector %s\n", in.InspectorURL)
	if f != (socotratest.Faults{Seed: f.Seed}) {
		fmt.Fprintf(w, "  Faults    %+v\n", f)
	}
	fmt.Fprintf(w, "\nFor the other commands:\n\n  export SOCOTRA_API_URL=%s SOCOTRA_TENANT=%s SOCOTRA_TOKEN=%s\n",
		in.URL, in.TenantLocator, in.CoreToken)
	fmt.Fprintf(w, "  socotra-webhooks webhooks create --url http://localhost:8080/webhooks --events 'policy.*' --secret s3cret\n")
	fmt.Fprintf(w, "  socotra-webhooks trigger policy.quote.issue --tenant %s\n\nPress Ctrl-C to stop.\n", in.URL)
}

// checkLoopback refuses a listen address off the loopback interface unless allowed: the fake prints
// its credentials and its control endpoint makes it send requests.
func checkLoopback(addr string, allow bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("--addr %q: want host:port, such as 127.0.0.1:0", addr)
	}
	if allow || host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return usagef("--addr %q is not a loopback address: add --allow-remote to listen there", addr)
	}
	return nil
}

func randomKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// parseFaults reads a --faults spec such as "duplicate=0.2,drop=0.05,delay-by=30s".
func parseFaults(spec string) (socotratest.Faults, error) {
	var f socotratest.Faults
	if strings.TrimSpace(spec) == "" {
		return f, nil
	}
	rates := map[string]*float64{
		"duplicate": &f.Duplicate, "reorder": &f.Reorder, "delay": &f.Delay, "drop": &f.Drop,
		"corrupt-signature": &f.CorruptSignature, "tamper-body": &f.TamperBody, "stall": &f.Stall,
	}
	durations := map[string]*time.Duration{"reorder-window": &f.ReorderWindow, "delay-by": &f.DelayBy, "stall-for": &f.StallFor}
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return f, usagef("--faults %q: write name=value pairs such as duplicate=0.2", kv)
		}
		if p, ok := rates[k]; ok {
			r, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return f, usagef("--faults %s: %q is not a number from 0 to 1", k, v)
			}
			*p = r
			continue
		}
		if p, ok := durations[k]; ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				return f, usagef("--faults %s: %q is not a duration such as 30s", k, v)
			}
			*p = d
			continue
		}
		return f, usagef("--faults: unknown fault %q; known: duplicate, reorder, delay, drop, corrupt-signature, tamper-body, stall, reorder-window, delay-by, stall-for", k)
	}
	return f, nil
}

// logDeliveries prints each delivery attempt of srv on standard error as it happens, until ctx ends.
func logDeliveries(ctx context.Context, e *env, srv *socotratest.Server) {
	seen := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
		all := srv.Deliveries()
		for _, d := range all[seen:] {
			outcome := strconv.Itoa(d.Status)
			switch {
			case d.Faults.Has(socotratest.FaultDrop):
				outcome = "dropped"
			case d.TimedOut:
				outcome = "timeout"
			case d.Status == 0:
				outcome = "no answer"
			}
			kind := ""
			switch {
			case d.Alert:
				kind = " alert"
			case d.Resend:
				kind = " resend"
			case d.Attempt > 1:
				kind = fmt.Sprintf(" retry %d", d.Attempt-1)
			}
			fmt.Fprintf(e.stderr, "%s %s %s -> %s%s: %s (%v)\n", d.Time.UTC().Format("15:04:05.000"), d.EventType, d.EventID,
				d.Webhook, kind, outcome, d.Latency.Round(time.Millisecond/10))
		}
		seen = len(all)
	}
}
