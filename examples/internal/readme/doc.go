// Package readme keeps README.md honest: its test checks that every Go snippet in the README is code
// from an Example function or an example program (so it compiles and runs in CI), and that every
// `go run` command in it names a program that exists and has a test. [Blocks] splits a Markdown
// document into its fenced code blocks, and [Contains] finds a snippet, with [Elision] lines, in a
// source file:
//
//	for _, b := range readme.Blocks(doc) {
//		if b.Lang == "go" && !readme.Contains(src, b.Text) {
//			t.Errorf("README.md:%d: snippet not found in the examples", b.Line)
//		}
//	}
package readme
