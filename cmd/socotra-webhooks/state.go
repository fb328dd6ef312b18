package main

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A running serve leaves its connection details in a file only its user can read, named after its
// address, so that "trigger --tenant URL" on the same machine finds the Core token by itself.

// stateFile returns the file for the fake tenant at base URL u, or "" when there is no cache directory.
func stateFile(getenv func(string) string, u string) string {
	pu, err := url.Parse(u)
	if err != nil || pu.Host == "" {
		return ""
	}
	name := strings.NewReplacer(":", "_", "[", "", "]", "").Replace(pu.Host) + ".json"
	dir := getenv("XDG_CACHE_HOME")
	if dir == "" && getenv("HOME") != "" {
		dir = filepath.Join(getenv("HOME"), ".cache")
	}
	if dir == "" { // no home (a bare environment): a directory of this user's under the temporary one
		return filepath.Join(os.TempDir(), prog+"-"+strconv.Itoa(os.Getuid()), "serve", name)
	}
	return filepath.Join(dir, prog, "serve", name)
}

// privateDir reports whether dir is a directory only its owner may enter, as writeState creates it;
// a directory someone else made with wider permissions is not used.
func privateDir(dir string) bool {
	st, err := os.Lstat(dir)
	return err == nil && st.IsDir() && st.Mode().Perm()&0o077 == 0
}

// writeState saves info for the fake tenant at info.URL; it returns the file, or "" when none was written.
func writeState(getenv func(string) string, info serveInfo) (string, error) {
	path := stateFile(getenv, info.URL)
	if path == "" {
		return "", nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	if !privateDir(filepath.Dir(path)) || !privateDir(filepath.Dir(filepath.Dir(path))) {
		return "", errors.New(filepath.Dir(path) + " is open to other users: not saving the token there")
	}
	b, _ := json.Marshal(info)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

// readToken returns the Core token a serve on this machine saved for base URL u.
func readToken(getenv func(string) string, u string) (string, error) {
	path := stateFile(getenv, strings.TrimSuffix(u, "/"))
	if path == "" {
		return "", errors.New("no cache directory")
	}
	if !privateDir(filepath.Dir(path)) {
		return "", errors.New("not a private directory")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var info serveInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return "", err
	}
	return info.CoreToken, nil
}
