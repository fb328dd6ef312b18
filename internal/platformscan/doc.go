// Package platformscan holds a test that reads the repository's sources, docs, examples and test
// fixtures and fails when one uses an event on a platform that does not send it: a Core emit, Core
// webhook or Core manifest naming an event only Legacy sends, or a Legacy one naming an event outside
// the Legacy event enum. Such code would agree with itself and never with Socotra.
//
// It has no exported API; run it with
//
//	go test ./internal/platformscan
package platformscan
