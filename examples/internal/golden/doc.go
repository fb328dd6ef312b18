// Package golden compares an example's output with a file kept in its testdata folder: [Check]
// compares bytes, and [Run] runs an example program's run function and checks what it printed, along
// with lines the test names as the point of the example. Run the tests with -update to rewrite the
// files after a deliberate change, and review the diff before committing.
//
//	func TestRun(t *testing.T) {
//		golden.Run(t, "testdata/output.golden", run, "0 left on the tenant")
//	}
package golden
