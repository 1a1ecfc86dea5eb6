package roster_test

import (
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// repoRoot is the repository root: this package's directory, where go test
// runs.
const repoRoot = "."

// testVersion is stamped into the test build in place of the Dockerfile's
// ${VERSION}.
const testVersion = "v0.0.0-buildtest"

// dockerBuild is what the Dockerfile's builder stage runs.
type dockerBuild struct {
	env   []string // assignments before "go build", e.g. CGO_ENABLED=0
	flags []string // go build flags, -o and the package excluded
	pkg   string
}

// parseDockerBuild finds the RUN instruction of the Dockerfile that calls
// go build and splits it into its environment, flags and package.
func parseDockerBuild(t *testing.T, dockerfile string) dockerBuild {
	t.Helper()
	// Join continuation lines, then look at RUN instructions only.
	joined := strings.ReplaceAll(dockerfile, "\\\n", " ")
	var run string
	for line := range strings.SplitSeq(joined, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "RUN ") && strings.Contains(line, "go build") {
			if run != "" {
				t.Fatal("Dockerfile has more than one RUN with go build")
			}
			run = strings.TrimPrefix(line, "RUN ")
		}
	}
	if run == "" {
		t.Fatal("Dockerfile has no RUN instruction with go build")
	}
	words, err := shellWords(run)
	if err != nil {
		t.Fatalf("Dockerfile go build line: %v", err)
	}
	var b dockerBuild
	i := 0
	for ; i < len(words) && strings.Contains(words[i], "="); i++ {
		b.env = append(b.env, words[i])
	}
	if i+1 >= len(words) || words[i] != "go" || words[i+1] != "build" {
		t.Fatalf("Dockerfile RUN %q: want ENV=... go build ...", run)
	}
	for i += 2; i < len(words); i++ {
		switch w := words[i]; {
		case w == "-o":
			i++ // the output path is the test's to choose
		case strings.HasPrefix(w, "-"):
			b.flags = append(b.flags, w)
			if w == "-ldflags" || w == "-tags" || w == "-gcflags" {
				i++
				if i == len(words) {
					t.Fatalf("Dockerfile: %s has no value", w)
				}
				b.flags = append(b.flags, words[i])
			}
		default:
			if b.pkg != "" {
				t.Fatalf("Dockerfile: go build names two packages, %q and %q", b.pkg, w)
			}
			b.pkg = w
		}
	}
	return b
}

// shellWords splits a command line the way sh does for the forms the
// Dockerfile uses: blanks separate words, double quotes group them.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			inWord = true
		case !quoted && (r == ' ' || r == '\t'):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		return nil, errors.New("unterminated double quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func TestParseDockerBuild(t *testing.T) {
	t.Parallel()
	dockerfile := "FROM golang AS build\n" +
		"RUN go mod download\n" +
		"RUN CGO_ENABLED=0 GOOS=$TARGETOS \\\n" +
		"    go build -trimpath -ldflags \"-s -w -X main.v=${VERSION}\" \\\n" +
		"    -o /out/roster ./cmd/roster\n"
	want := dockerBuild{
		env:   []string{"CGO_ENABLED=0", "GOOS=$TARGETOS"},
		flags: []string{"-trimpath", "-ldflags", "-s -w -X main.v=${VERSION}"},
		pkg:   "./cmd/roster",
	}
	got := parseDockerBuild(t, dockerfile)
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(dockerBuild{})); diff != "" {
		t.Errorf("parseDockerBuild (-want +got):\n%s", diff)
	}
}

// TestDockerfileBuildsStaticBinary builds roster exactly as the Dockerfile's
// builder stage does, from the files .dockerignore lets into the build
// context, and checks that the result is a static, stripped binary that runs
// in an empty (scratch) image and reports the stamped version.
func TestDockerfileBuildsStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release binary; skipped with -short")
	}
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH: %v", err)
	}
	dockerfile := readRepoFile(t, "Dockerfile")
	b := parseDockerBuild(t, dockerfile)
	if !slices.Contains(b.env, "CGO_ENABLED=0") {
		t.Errorf("Dockerfile go build runs with %q, want CGO_ENABLED=0 for a static binary", b.env)
	}
	if !slices.Contains(b.flags, "-trimpath") {
		t.Errorf("Dockerfile go build flags %q lack -trimpath", b.flags)
	}
	if b.pkg != "./cmd/roster" {
		t.Errorf("Dockerfile builds %q, want ./cmd/roster", b.pkg)
	}
	flags := make([]string, len(b.flags))
	for i, f := range b.flags {
		flags[i] = strings.ReplaceAll(f, "${VERSION}", testVersion)
	}
	if !strings.Contains(strings.Join(flags, " "), "internal/version.Version="+testVersion) {
		t.Fatalf("Dockerfile go build flags %q do not stamp internal/version.Version with ${VERSION}", b.flags)
	}

	// The build context, as docker build sees it.
	context := filepath.Join(t.TempDir(), "context")
	copyBuildContext(t, repoRoot, context, readDockerignore(t))

	bin := filepath.Join(t.TempDir(), "roster")
	args := append([]string{"build"}, flags...)
	args = append(args, "-o", bin, b.pkg)
	cmd := exec.Command(goTool, args...)
	cmd.Dir = context
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s in the Docker build context: %v\n%s", strings.Join(args, " "), err, out)
	}

	assertStatic(t, bin)

	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("roster version: %v\n%s", err, out)
	}
	if want := "roster " + testVersion + " ("; !strings.HasPrefix(string(out), want) {
		t.Errorf("roster version printed %q, want it to start with %q", out, want)
	}
}

// assertStatic fails unless bin is a static executable without a symbol
// table.
func assertStatic(t *testing.T, bin string) {
	t.Helper()
	problems, err := staticProblems(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// staticProblems lists why bin would not run in an empty (scratch) image or is
// bigger than it needs to be: it is not an ELF executable that needs no dynamic
// loader and no shared libraries, or it carries a symbol table (no -s).
func staticProblems(bin string) ([]string, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return nil, fmt.Errorf("open the built binary: %w", err)
	}
	defer f.Close()
	var problems []string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			problems = append(problems, "binary has a PT_INTERP program header: it needs a dynamic loader, which a scratch image lacks")
		}
		if p.Type == elf.PT_DYNAMIC {
			problems = append(problems, "binary has a PT_DYNAMIC program header: it is dynamically linked")
		}
	}
	if s := f.Section(".dynamic"); s != nil {
		problems = append(problems, "binary has a .dynamic section: it is dynamically linked")
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		problems = append(problems, fmt.Sprintf("binary imports shared libraries %q (err %v)", libs, err))
	}
	if s := f.Section(".symtab"); s != nil {
		problems = append(problems, "binary has a symbol table: -ldflags lacks -s")
	}
	return problems, nil
}

// TestStaticProblemsSeesDynamicBinaries: the static check notices a
// dynamically linked executable, here the system shell.
func TestStaticProblemsSeesDynamicBinaries(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to look at")
	}
	sh, err = filepath.EvalSymlinks(sh)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := staticProblems(sh)
	if err != nil {
		t.Skipf("%s is not ELF: %v", sh, err)
	}
	if len(problems) == 0 {
		t.Skipf("%s is a static, stripped binary on this system", sh)
	}
	if !strings.Contains(strings.Join(problems, "\n"), "dynamic") {
		t.Errorf("staticProblems(%s) = %q, want a dynamic-linking problem", sh, problems)
	}
}

// TestDockerfileFinalImage checks the parts of the Dockerfile the runner and
// users depend on: a builder on the toolchain go.mod asks for, an empty final
// image with a CA bundle, and "roster action" as the entrypoint.
func TestDockerfileFinalImage(t *testing.T) {
	t.Parallel()
	dockerfile := readRepoFile(t, "Dockerfile")
	gomod := readRepoFile(t, "go.mod")

	goDirective := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(gomod)
	if goDirective == nil {
		t.Fatal("go.mod has no go directive")
	}
	builder := regexp.MustCompile(`(?m)^FROM .*golang:(\S+?)(-\w+)?(@\S+)? AS build$`).FindStringSubmatch(dockerfile)
	if builder == nil {
		t.Fatal("Dockerfile has no golang builder stage named build")
	}
	if builder[1] != goDirective[1] {
		t.Errorf("Dockerfile builds with golang:%s, go.mod asks for go %s", builder[1], goDirective[1])
	}

	var froms []string
	for line := range strings.SplitSeq(dockerfile, "\n") {
		if strings.HasPrefix(line, "FROM ") {
			froms = append(froms, line)
		}
	}
	if len(froms) == 0 || froms[len(froms)-1] != "FROM scratch" {
		t.Errorf("final stage is %q, want FROM scratch", froms)
	}
	final := dockerfile[strings.LastIndex(dockerfile, "\nFROM ")+1:]
	for _, want := range []string{
		"COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n",
		"COPY --from=build /out/roster /roster\n",
		`ENTRYPOINT ["/roster", "action"]` + "\n",
	} {
		if !strings.Contains(final, want) {
			t.Errorf("final stage lacks %q", want)
		}
	}
	for _, bad := range []string{"\nUSER ", "\nWORKDIR "} {
		if strings.Contains(final, bad) {
			t.Errorf("final stage sets %s: the Actions runner needs root and sets the working directory itself", strings.TrimSpace(bad))
		}
	}
}

// readDockerignore returns the .dockerignore patterns, without comments and
// blank lines.
func readDockerignore(t *testing.T) []string {
	t.Helper()
	var patterns []string
	for line := range strings.SplitSeq(readRepoFile(t, ".dockerignore"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			t.Fatalf(".dockerignore: exceptions (%q) are not supported by this test", line)
		}
		patterns = append(patterns, path.Clean(strings.TrimPrefix(line, "/")))
	}
	return patterns
}

// ignored reports whether rel (slash-separated, relative to the context root)
// is excluded by patterns, following docker's rules for the forms used here:
// a pattern matches a path or any of its parent folders, and a leading "**/"
// matches in any folder.
func ignored(rel string, patterns []string) bool {
	for _, p := range patterns {
		for prefix := rel; prefix != "."; prefix = path.Dir(prefix) {
			if rest, ok := strings.CutPrefix(p, "**/"); ok {
				if m, _ := path.Match(rest, path.Base(prefix)); m {
					return true
				}
				continue
			}
			if m, _ := path.Match(p, prefix); m {
				return true
			}
		}
	}
	return false
}

func TestIgnored(t *testing.T) {
	t.Parallel()
	patterns := []string{".git", "*.test", "access", "**/testdata", "Dockerfile"}
	tests := []struct {
		path string
		want bool
	}{
		{".git/config", true},
		{"roster.test", true},
		{"cmd/roster/roster.test", false}, // *.test matches at the root only
		{"access/production/environment.yaml", true},
		{"internal/render/testdata/plan.golden", true},
		{"internal/render/templates/plan.tmpl", false},
		{"Dockerfile", true},
		{"go.mod", false},
	}
	for _, tt := range tests {
		if got := ignored(tt.path, patterns); got != tt.want {
			t.Errorf("ignored(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

// copyBuildContext copies the regular files under src that patterns do not
// exclude into dst.
func copyBuildContext(t *testing.T, src, dst string, patterns []string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != "." && ignored(rel, patterns) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
	if err != nil {
		t.Fatalf("copy the build context: %v", err)
	}
}

// readRepoFile returns a file of the repository as text.
func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
