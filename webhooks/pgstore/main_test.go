//go:build unix

package pgstore_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// adminDSN reaches a superuser on the PostgreSQL the tests use: one TestMain starts from the installed
// server binaries (Debian's postgresql package), or $PGSTORE_DSN. It is "" when there is none: the tests
// then skip, or fail when $PGSTORE_REQUIRE is set, as CI sets it.
var (
	adminDSN  string
	adminPool *pgxpool.Pool
	noServer  string // why there is no server
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" { // a crash-test child: the parent passes its database
		os.Exit(m.Run())
	}
	stop, err := startPostgres()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgstore tests:", err)
		os.Exit(1)
	}
	if adminDSN != "" {
		if adminPool, err = pgxpool.New(context.Background(), adminDSN); err != nil {
			stop()
			fmt.Fprintln(os.Stderr, "pgstore tests:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	if sharedDSN != "" {
		if _, err := adminPool.Exec(context.Background(), "DROP DATABASE "+fmt.Sprintf("pgstore_%s_shared", runID)+" WITH (FORCE)"); err != nil {
			fmt.Fprintln(os.Stderr, "pgstore tests: drop the shared test database:", err)
		}
	}
	if adminPool != nil {
		adminPool.Close()
	}
	stop()
	os.Exit(code)
}

// serverBin returns the directory of the newest installed PostgreSQL server binaries, or "".
func serverBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

// startPostgres starts a throw-away server on a free loopback port (initdb on a temporary directory, as
// the postgres user when the tests run as root, durability off for speed), or uses $PGSTORE_DSN.
func startPostgres() (stop func(), err error) {
	nothing := func() {}
	if dsn := os.Getenv("PGSTORE_DSN"); dsn != "" {
		adminDSN = dsn
		return nothing, nil
	}
	bin := serverBin()
	if bin == "" {
		noServer = "no PostgreSQL server binaries (install Debian's postgresql package) and no PGSTORE_DSN"
		return nothing, nil
	}
	dir, err := os.MkdirTemp("", "pgstore-test-")
	if err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 { // PostgreSQL refuses to run as root
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, and there is no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	srv := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=400", "-c", "shared_buffers=64MB")
	srv.Stdout, srv.Stderr = logf, logf
	// The server dies with the test binary, even when that is killed (on Linux).
	srv.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	dieWithParent(srv.SysProcAttr, syscall.SIGQUIT) // immediate shutdown
	if err := srv.Start(); err != nil {
		logf.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", srv.Path, err)
	}
	exited := make(chan struct{})
	go func() { srv.Wait(); close(exited) }()
	stop = func() {
		srv.Process.Signal(syscall.SIGINT) // fast shutdown
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			srv.Process.Kill()
			<-exited
		}
		logf.Close()
		os.RemoveAll(dir)
	}
	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		pool, err := pgxpool.New(context.Background(), dsn)
		if err == nil {
			err = pool.Ping(context.Background())
			pool.Close()
		}
		if err == nil {
			break
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			stop()
			return nil, fmt.Errorf("postgres exited at start:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("postgres on port %d did not answer within 30s: %w", port, err)
		}
	}
	adminDSN = dsn
	return stop, nil
}

var (
	runID = strconv.FormatInt(time.Now().UnixNano()%1e12, 36)
	dbs   atomic.Int64
)

// requireServer skips t, or fails it under $PGSTORE_REQUIRE, when there is no server.
func requireServer(t testing.TB) {
	t.Helper()
	if adminDSN != "" {
		return
	}
	if os.Getenv("PGSTORE_REQUIRE") != "" {
		t.Fatalf("PGSTORE_REQUIRE is set but there is no PostgreSQL: %s", noServer)
	}
	t.Skipf("no PostgreSQL: %s (or set PGSTORE_DSN to a superuser's URL)", noServer)
}

// newDatabase creates a database of t's own, dropped when t ends, and returns its DSN.
func newDatabase(t testing.TB) string {
	t.Helper()
	requireServer(t)
	name := fmt.Sprintf("pgstore_%s_%d", runID, dbs.Add(1))
	if _, err := adminPool.Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := adminPool.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return withDatabase(t, adminDSN, name)
}

// withDatabase returns dsn naming database db instead.
func withDatabase(t testing.TB, dsn, db string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + db
		return u.String()
	}
	return dsn + " dbname=" + db
}

// withUser returns dsn connecting as user with password.
func withUser(t testing.TB, dsn, user, password string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(user, password)
		return u.String()
	}
	return dsn + " user=" + user + " password=" + password
}

// newPool returns a pool on dsn, closed when t ends.
func newPool(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

var (
	sharedOnce sync.Once
	sharedDSN  string
	sharedErr  error
	schemas    atomic.Int64
)

// newDB returns a pool whose connections start in a new schema of t's own (its search_path), in a
// database the tests share: cheaper than a database each. The schema is dropped when t ends.
func newDB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, _ := newSchema(t)
	return pool
}

// newSchema is newDB, also returning the schema's name.
func newSchema(t testing.TB) (pool *pgxpool.Pool, schema string) {
	t.Helper()
	requireServer(t)
	sharedOnce.Do(func() {
		name := fmt.Sprintf("pgstore_%s_shared", runID)
		if _, sharedErr = adminPool.Exec(context.Background(), "CREATE DATABASE "+name); sharedErr == nil {
			sharedDSN = withDatabase(t, adminDSN, name)
		}
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	schema = fmt.Sprintf("t%d", schemas.Add(1))
	admin := newPool(t, sharedDSN)
	run(t, admin, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { run(t, admin, "DROP SCHEMA "+schema+" CASCADE") })
	return newPool(t, inSchema(t, sharedDSN, schema)), schema
}

// inSchema returns dsn with its connections' search_path set to schema.
func inSchema(t testing.TB, dsn, schema string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}
