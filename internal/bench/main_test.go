package bench

import (
	"os"
	"runtime"
	"testing"
)

// ballastBytes of live heap that holds no pointers are kept for the whole run, so that every benchmark runs in
// the garbage-collection regime of a receiver that has been up a while (its default dedupe store alone
// holds about 25 MB), rather than in a near-empty heap where the collector cycles every few megabytes and
// charges each allocation far more than a server pays.
const ballastBytes = 32 << 20

func TestMain(m *testing.M) {
	ballast := make([]byte, ballastBytes)
	code := m.Run()
	runtime.KeepAlive(ballast)
	os.Exit(code)
}
