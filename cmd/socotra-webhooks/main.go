// Command socotra-webhooks is the local development loop for Socotra webhooks: it sends realistic
// signed deliveries to a receiver, runs the fake tenant as a process, forwards a tenant's event stream
// to a laptop, and manages webhooks, diverted events and app manifests.
//
// Usage:
//
//	socotra-webhooks <command> [arguments]
//
// The commands are:
//
//	trigger   send one signed sample delivery of an event to a URL (or through a running fake tenant)
//	listen    poll a tenant's event stream and forward each event to a local URL, signed
//	serve     run the fake tenant, with a delivery inspector page
//	webhooks  list, get, create, update, delete and unsuspend webhooks
//	diverted  list, get, resend and delete diverted events
//	manifest  check a socotra-app.json, or register and unregister its webhooks
//	help      show help for a command
//
// Run "socotra-webhooks help <command>" for a command's flags and examples. The exit status is 0 on
// success, 1 when the command failed (bad input, an unreachable or refusing remote) and 2 on bad usage.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], newEnv())
	stop()
	os.Exit(code)
}
