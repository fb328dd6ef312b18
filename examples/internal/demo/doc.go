// Package demo holds the plumbing the example programs share and that has nothing to teach about the
// SDK: [Main] to run a program, [Serve] for a server on a free loopback port, [SyncWriter] for output
// that several goroutines print to, and [PostSigned] for a signed delivery sent by hand.
//
//	func main() { demo.Main("quickstart", run) }
//
//	func run(ctx context.Context, stdout io.Writer) error {
//		base, shutdown, err := demo.Serve(mux)
//		if err != nil {
//			return err
//		}
//		defer shutdown()
//		status, err := demo.PostSigned(ctx, base+"/hooks", body, secret)
//		// ...
//	}
package demo
