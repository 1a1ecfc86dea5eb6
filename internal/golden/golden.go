package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files (and generated fixtures) instead of comparing with them")

// Update reports whether the test run rewrites golden files, for tests that
// regenerate fixtures of their own.
func Update() bool { return *update }

// Check compares got with the file at path, or writes got there (creating
// its folder) with -update.
func Check[T string | []byte](t testing.TB, path string, got T) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got); if the change is intended, run the test with -update:\n%s", path, diff)
	}
}

// File is Check for a file in the package's testdata folder.
func File[T string | []byte](t testing.TB, name string, got T) {
	t.Helper()
	Check(t, filepath.Join("testdata", name), got)
}
