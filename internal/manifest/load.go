package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/pgpkey"
)

// Option configures Load.
type Option func(*options)

type options struct {
	now func() time.Time
}

// WithClock sets the clock that decides which users have expired, so tests
// and plans made for a given day are reproducible. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// envNameRE is the syntax of an environment folder's name.
var envNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// IsEnvironmentName reports whether name is a valid environment folder name,
// for names from elsewhere (roster init's flags, a record read back).
func IsEnvironmentName(name string) bool { return envNameRE.MatchString(name) }

// Load reads and validates the access tree at dir. It returns every finding,
// sorted; the repository is nil when any finding is an error.
func Load(dir string, opts ...Option) (*Repository, diag.List) {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	l := &loader{dir: dir, now: o.now().UTC(), keys: &pgpkey.Cache{}, keyTexts: &strPool{}, work: make(chan struct{}, runtime.GOMAXPROCS(0))}
	repo := l.load()
	diags := l.diags.Sort()
	if diags.HasErrors() {
		return nil, diags
	}
	return repo, diags
}

// loader holds the state of one Load call.
type loader struct {
	dir   string
	now   time.Time
	diags diag.List
	// root is the access directory with symlinks resolved, to tell links
	// that leave it.
	root string

	cfg  configSrc
	envs []*envSrc
	// keys holds every pgp_key verified so far, for every environment.
	keys *pgpkey.Cache
	// keyTexts holds one copy of each pgp_key text, for every environment:
	// a key is a few kilobytes, and people carry theirs into every
	// environment they are in.
	keyTexts *strPool
	// work bounds the goroutines that parse files, across environments.
	work chan struct{}
	// parsed holds the files of the environment being loaded, parsed ahead
	// in parallel; readFile takes them from here.
	parsed map[string]*parsedFile
	// strs holds the strings of the environment being loaded: the group
	// names, policy ARNs and tag keys and values users repeat. Each
	// environment's loader has its own, dropped with it.
	strs strPool
}

// strPool holds one copy of each distinct string it is given, so strings
// that many users repeat are held once instead of once per user. It is safe
// for concurrent use; the zero strPool is ready.
type strPool struct {
	mu   sync.Mutex
	strs map[string]string
}

// intern returns s, or an equal string the pool already holds (the first
// it was given).
func (p *strPool) intern(s string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.strs[s]; ok {
		return t
	}
	if p.strs == nil {
		p.strs = map[string]string{}
	}
	p.strs[s] = s
	return s
}

// fork returns a loader for one environment, sharing the settings, the
// key cache and texts and the work bound, with findings of its own.
func (l *loader) fork() *loader {
	return &loader{dir: l.dir, now: l.now, root: l.root, cfg: l.cfg, keys: l.keys, keyTexts: l.keyTexts, work: l.work}
}

// display returns the path of rel (slash-separated, relative to dir) as the
// user would type it.
func (l *loader) display(rel string) string {
	return filepath.ToSlash(filepath.Join(l.dir, filepath.FromSlash(rel)))
}

func (l *loader) load() *Repository {
	info, err := os.Stat(l.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		l.diags.Errorf(diag.Pos{File: filepath.ToSlash(l.dir)}, ruleAccessDir,
			"run roster from the repository root, or pass --dir with the folder that holds your environments",
			"access directory %s does not exist", filepath.ToSlash(l.dir))
		return nil
	case err != nil:
		l.diags.Errorf(diag.Pos{File: filepath.ToSlash(l.dir)}, ruleAccessDir, "", "cannot read the access directory: %v", err)
		return nil
	case !info.IsDir():
		l.diags.Errorf(diag.Pos{File: filepath.ToSlash(l.dir)}, ruleAccessDir,
			"pass --dir with the folder that holds your environments", "%s is not a directory", filepath.ToSlash(l.dir))
		return nil
	}
	if abs, err := filepath.Abs(l.dir); err == nil {
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			l.root = real
		}
		if repo := repositoryOf(abs); l.root != "" && !within(repo, l.root) {
			l.diags.Errorf(diag.Pos{File: filepath.ToSlash(l.dir)}, ruleSymlink,
				"make the access directory a real folder of the repository, or pass --dir with one",
				"the access directory is a symbolic link to %s, outside the repository %s", filepath.ToSlash(l.root), filepath.ToSlash(repo))
			return nil
		}
	}

	entries, err := os.ReadDir(l.dir)
	if err != nil {
		l.diags.Errorf(diag.Pos{File: filepath.ToSlash(l.dir)}, ruleAccessDir, "", "cannot read the access directory: %v", err)
		return nil
	}
	var configFile string
	var envDirs []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		isDir, ok := l.entryKind(name, e)
		if !ok {
			continue
		}
		switch {
		case isDir:
			envDirs = append(envDirs, name)
		case name == ConfigFile:
			configFile = name
		case isYAML(name):
			hint := "move it into an environment folder such as " + l.display("development") + "/"
			if strings.EqualFold(name, "roster.yml") {
				hint = "rename it to " + ConfigFile
			}
			l.diags.Errorf(diag.Pos{File: l.display(name), Line: 1}, ruleOutsideEnv, hint,
				"%s is not inside an environment folder", name)
		}
	}

	l.cfg = defaultConfig()
	if configFile != "" {
		l.loadConfig(configFile)
	}
	if len(envDirs) == 0 {
		// A tree that manages nothing would plan "no changes", which reads
		// as "live IAM matches the repository".
		l.diags.Errorf(diag.Pos{File: filepath.ToSlash(l.dir)}, ruleNoEnvironments,
			fmt.Sprintf("create them with roster init --dir %s --from-organization, or --env name=account_id (docs/setup.md)", filepath.ToSlash(l.dir)),
			"no environments: the access directory has no folder with an environment.yaml")
	}
	l.loadEnvironments(envDirs)
	l.checkOrder()
	l.checkAcrossEnvironments()
	return l.repository()
}

// entryKind tells whether a directory entry is a folder, following
// symlinks that stay inside the access directory. ok is false when the
// entry is to be skipped (after reporting why, for links).
func (l *loader) entryKind(rel string, e fs.DirEntry) (isDir, ok bool) {
	if e.Type()&fs.ModeSymlink == 0 {
		if e.IsDir() {
			return true, true
		}
		return false, e.Type().IsRegular()
	}
	pos := diag.Pos{File: l.display(rel)}
	target, err := filepath.EvalSymlinks(filepath.Join(l.dir, filepath.FromSlash(rel)))
	if err != nil {
		if isYAML(e.Name()) {
			l.diags.Errorf(pos, ruleSymlink, "fix or remove the link", "broken symbolic link: %v", unwrapPathError(err))
		}
		return false, false
	}
	info, err := os.Stat(target)
	if err != nil {
		l.diags.Errorf(pos, ruleFileRead, "", "cannot read: %v", unwrapPathError(err))
		return false, false
	}
	if !info.IsDir() && !isYAML(e.Name()) {
		// A link to a file roster ignores anyway.
		return false, false
	}
	if l.root == "" || !within(l.root, target) {
		l.diags.Errorf(pos, ruleSymlink, "copy it into the access directory instead of linking to it",
			"symbolic link points outside the access directory")
		return false, false
	}
	if info.IsDir() {
		l.diags.Errorf(pos, ruleSymlink, "use a real folder", "symbolic links to folders are not followed")
		return false, false
	}
	return false, info.Mode().IsRegular()
}

// RepositoryRoot returns the repository an access directory (an absolute
// path, as given) belongs to: the nearest folder above it that holds .git,
// or else its parent folder. The loader refuses an access directory that
// resolves outside it; roster codeowners writes CODEOWNERS there.
func RepositoryRoot(abs string) string {
	parent := filepath.Dir(abs)
	for d := parent; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return parent
		}
	}
}

// repositoryOf is RepositoryRoot with symlinks resolved.
func repositoryOf(abs string) string {
	repo := RepositoryRoot(abs)
	if real, err := filepath.EvalSymlinks(repo); err == nil {
		return real
	}
	return repo
}

func within(root, target string) bool {
	rel, err := filepath.Rel(root, target)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func isYAML(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// parsedFile is one file read and parsed, with the findings of doing so.
type parsedFile struct {
	d     *decoder
	root  *yaml.Node
	ok    bool
	diags diag.List
}

// parseFile reads and parses one YAML file (rel is slash-separated,
// relative to the access directory). root is nil for an empty document; ok
// is false when the file could not be read or parsed, with the findings
// saying why. It touches no state of the loader, so files parse in
// parallel.
func (l *loader) parseFile(rel string) *parsedFile {
	p := &parsedFile{}
	p.d = &decoder{file: l.display(rel), diags: &p.diags}
	p.root, p.ok = p.d.read(filepath.Join(l.dir, filepath.FromSlash(rel)))
	return p
}

// read reads and parses the file at path.
func (d *decoder) read(path string) (*yaml.Node, bool) {
	f, err := os.Open(path) //nolint:gosec // reading the files under the access directory is the loader's purpose
	if err != nil {
		d.diags.Errorf(diag.Pos{File: d.file, Line: 1}, ruleFileRead, "", "cannot read file: %v", unwrapPathError(err))
		return nil, false
	}
	defer f.Close()
	// One buffer of the file's size (as os.ReadFile sizes it): reading
	// into a growing one copies a large file a dozen times.
	var buf bytes.Buffer
	if info, err := f.Stat(); err == nil {
		buf.Grow(int(min(info.Size(), MaxFileSize)) + bytes.MinRead)
	}
	_, err = buf.ReadFrom(io.LimitReader(f, MaxFileSize+1))
	data := buf.Bytes()
	if err != nil {
		d.diags.Errorf(diag.Pos{File: d.file, Line: 1}, ruleFileRead, "", "cannot read file: %v", unwrapPathError(err))
		return nil, false
	}
	if len(data) > MaxFileSize {
		d.diags.Errorf(diag.Pos{File: d.file, Line: 1}, ruleFileSize, "split it into several files",
			"file is larger than %d bytes (1 MiB)", MaxFileSize)
		return nil, false
	}
	return d.parse(data)
}

// readFile returns one YAML file parsed, from the files parsed ahead or
// parsed now, and adds the findings of parsing it to the loader's; the
// decoder reports there from now on.
func (l *loader) readFile(rel string) (d *decoder, root *yaml.Node, ok bool) {
	p, ahead := l.parsed[rel]
	if !ahead {
		p = l.parseFile(rel)
	}
	delete(l.parsed, rel)
	l.diags = append(l.diags, p.diags...)
	p.d.diags = &l.diags
	return p.d, p.root, p.ok
}

// parseAhead parses files in parallel, bounded by l.work, for readFile to
// take in order.
func (l *loader) parseAhead(files []string) {
	out := make([]*parsedFile, len(files))
	var wg sync.WaitGroup
	for i, rel := range files {
		wg.Add(1)
		l.work <- struct{}{}
		go func() {
			defer func() { <-l.work; wg.Done() }()
			out[i] = l.parseFile(rel)
		}()
	}
	wg.Wait()
	l.parsed = make(map[string]*parsedFile, len(files))
	for i, rel := range files {
		l.parsed[rel] = out[i]
	}
}

// loadEnvironments loads the environment folders in parallel, bounded by
// GOMAXPROCS, each with its own findings, and adds them in folder order:
// the findings are those of loading one environment after the other.
func (l *loader) loadEnvironments(names []string) {
	type result struct {
		env   *envSrc
		diags diag.List
	}
	results := make([]result, len(names))
	sem := make(chan struct{}, cap(l.work))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			el := l.fork()
			env := el.loadEnvironment(name)
			results[i] = result{env: env, diags: el.diags}
		}()
	}
	wg.Wait()
	for _, r := range results {
		l.envs = append(l.envs, r.env)
		l.diags = append(l.diags, r.diags...)
	}
}

// envFiles lists the YAML files of the environment folder name, other
// than environment.yaml, and tells whether environment.yaml (or the
// misnamed environment.yml) is there.
func (l *loader) envFiles(name string, dirPos diag.Pos) (files []string, hasEnvFile, hasYML bool) {
	err := filepath.WalkDir(filepath.Join(l.dir, name), func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			l.diags.Errorf(diag.Pos{File: filepath.ToSlash(path)}, ruleFileRead, "", "cannot read: %v", unwrapPathError(err))
			if e != nil && e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		rel, relErr := filepath.Rel(l.dir, path)
		if relErr != nil {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if rel == name {
			return nil
		}
		if strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		isDir, ok := l.entryKind(rel, e)
		if !ok || isDir {
			return nil
		}
		if !isYAML(e.Name()) {
			return nil
		}
		switch rel {
		case name + "/" + EnvironmentFile:
			hasEnvFile = true
		case name + "/environment.yml":
			hasYML = true
		default:
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		l.diags.Errorf(dirPos, ruleFileRead, "", "cannot read environment folder: %v", err)
	}

	return files, hasEnvFile, hasYML
}

// loadEnvironment loads access/<name>/: environment.yaml and every
// manifest below it.
func (l *loader) loadEnvironment(name string) *envSrc {
	dirPos := diag.Pos{File: l.display(name)}
	if !envNameRE.MatchString(name) {
		l.diags.Errorf(dirPos, ruleEnvName, "rename the folder using lowercase letters, digits and dashes, for example "+
			strings.Trim(strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9-]+`).ReplaceAllString(name, "-")), "-"),
			"environment folder name %q must match [a-z0-9][a-z0-9-]*", name)
	}
	if name == OrganizationReport && l.cfg.Organization != nil {
		l.diags.Errorf(dirPos, ruleEnvName, "rename the folder: drift reports the AWS Organization under this name",
			"environment %q is reserved while roster.yaml has an organization block", name)
	}
	env := newEnv(name, l.display(name))

	files, hasEnvFile, hasYML := l.envFiles(name, dirPos)
	ahead := files
	if hasEnvFile {
		ahead = append([]string{name + "/" + EnvironmentFile}, files...)
	}
	l.parseAhead(ahead)
	if hasEnvFile {
		l.loadEnvFile(env, name+"/"+EnvironmentFile)
	} else {
		hint := "create " + l.display(name+"/"+EnvironmentFile) + ` with at least account_id: "123456789012"`
		if hasYML {
			hint = "rename environment.yml to environment.yaml"
		}
		l.diags.Errorf(dirPos, ruleMissingEnvFile, hint, "environment folder %s has no %s", name, EnvironmentFile)
		env.broken = true
	}
	slices.Sort(files)
	for _, rel := range files {
		if base := filepath.Base(rel); base == EnvironmentFile || base == "environment.yml" || base == ConfigFile {
			hint := "environment settings live in " + l.display(name+"/"+EnvironmentFile)
			if strings.HasSuffix(rel, "/"+ConfigFile) {
				hint = "roster.yaml lives in the access directory itself: " + l.display(ConfigFile)
			}
			l.diags.Errorf(diag.Pos{File: l.display(rel), Line: 1}, ruleEnvironmentFile, hint,
				"%s is in the wrong place", filepath.Base(rel))
			continue
		}
		l.loadManifest(env, rel)
	}
	l.checkEnvironment(env)
	env.settle()
	return env
}
