package tests

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/mattn/go-sqlite3"
)

// flowBackendEnv selects the flow tests' database: "" (SQLite, always) or
// "postgres" (a fresh database per server on PORTAL_TEST_POSTGRES_URL).
const flowBackendEnv = "PORTAL_TEST_FLOW_BACKEND"

// TestMain runs the flow tests on SQLite and then, when
// PORTAL_TEST_POSTGRES_URL is set, once more on PostgreSQL: the test
// binary runs itself again with PORTAL_TEST_FLOW_BACKEND=postgres.
func TestMain(m *testing.M) {
	code := m.Run()
	if os.Getenv(flowBackendEnv) == "" && os.Getenv("PORTAL_TEST_POSTGRES_URL") != "" {
		fmt.Println("=== the flow tests again, on PostgreSQL")
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(os.Environ(), flowBackendEnv+"=postgres")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Println("flow tests on PostgreSQL:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func onPostgres() bool { return os.Getenv(flowBackendEnv) == "postgres" }

// freshPostgres creates an empty database on PORTAL_TEST_POSTGRES_URL's
// server, drops it when the test ends, and returns its URL.
func freshPostgres(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("PORTAL_TEST_POSTGRES_URL")
	if admin == "" {
		t.Fatal("PORTAL_TEST_FLOW_BACKEND=postgres needs PORTAL_TEST_POSTGRES_URL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer conn.Close(ctx)
	name := "portal_flow_" + randomHex(6)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, admin); err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// grayDB opens the test server's database for gray-box reads and writes
// (closed when the test ends). The gray-box checks are written for SQLite;
// on PostgreSQL the test is skipped from here on — the store suite checks
// PostgreSQL's tables.
func grayDB(t testing.TB, srv *testServer, readOnly bool) *sql.DB {
	t.Helper()
	if srv.DBPath == "" {
		t.Skip("gray-box SQL checks are SQLite-only; the store suite covers PostgreSQL")
	}
	dsn := "file:" + srv.DBPath + "?_busy_timeout=5000"
	if readOnly {
		dsn += "&mode=ro"
	}
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// randomHex is n random bytes in hex: names that no other run uses.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// withQuery returns raw with the query parameter k set to v.
func withQuery(raw, k, v string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}
