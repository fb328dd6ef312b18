// Command eventsgen writes the generated files of package events from the
// event data in api/: api/events/core.json (Core names and the fields of
// their data), api/events/go.json (Go names and field documentation) and the
// components.schemas.EventType enum of api/legacy.yaml (Legacy names).
//
// Usage, from package events (see events/generate.go):
//
//	go -C ../tools run ./eventsgen -api ../api -out ../events
//
// Relative paths are resolved from the tools directory. The output depends
// only on the input files, so running it twice leaves no diff.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	apiDir := flag.String("api", "../api", "directory holding legacy.yaml and events/")
	outDir := flag.String("out", "../events", "directory of package events, where *.gen.go are written")
	flag.Parse()
	if err := run(*apiDir, *outDir); err != nil {
		fmt.Fprintln(os.Stderr, "eventsgen:", err)
		os.Exit(1)
	}
}

// run loads the data in apiDir and writes the generated files into outDir.
func run(apiDir, outDir string) error {
	files, err := generate(apiDir)
	if err != nil {
		return err
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(outDir, name), src, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// generate loads the data in apiDir and returns the formatted generated
// files by base name.
func generate(apiDir string) (map[string][]byte, error) {
	m, err := load(apiDir)
	if err != nil {
		return nil, err
	}
	names, err := m.renderNames()
	if err != nil {
		return nil, fmt.Errorf("names.gen.go: %w", err)
	}
	data, err := m.renderData()
	if err != nil {
		return nil, fmt.Errorf("data.gen.go: %w", err)
	}
	return map[string][]byte{"names.gen.go": names, "data.gen.go": data}, nil
}
