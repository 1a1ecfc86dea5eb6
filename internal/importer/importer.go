package importer

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
	"github.com/roster-dev/roster/schema"
)

// File names of the imported layout besides one file per group.
const (
	ServiceAccountsFile = "service-accounts.yaml"
	UsersFile           = "users.yaml"
)

// Comments written on imported entries.
const (
	serviceAccountComment = "Imported as a service account because it has access keys and no console password;\n" +
		"move it to users: if it is a person."
	unknownOwnerComment   = "TODO: the account does not record an owner; replace unknown with the team or person responsible"
	placeholderKeyComment = "This user already has a console password, which roster keeps. The key below is a\n" +
		"placeholder made by roster import, whose private key was never stored: replace it\n" +
		"with the person's key (gpg --export --armor EMAIL) before roster has to create a\n" +
		"new password for them, or nobody can read that password."
)

// Options control what is imported.
type Options struct {
	// Include, when not empty, imports only users whose name matches one of
	// these path.Match globs; Exclude skips users whose name matches one.
	Include, Exclude []string
	// Force lets Write replace existing files. Entries declared in a file
	// being replaced count as not declared, so they are imported again.
	Force bool
	// Now is the import time written in each file's header.
	Now time.Time
	// Rand is the randomness of the placeholder pgp_key; nil means
	// crypto/rand.
	Rand io.Reader
}

// File is one manifest file to write.
type File struct {
	// Name is the file name inside the environment folder.
	Name string
	Data []byte
}

// Result is an import: the files to write and what went into them.
type Result struct {
	// Dir is the environment folder the files belong in.
	Dir   string
	Files []File

	// Users, ServiceAccounts and Groups are the names imported, sorted.
	Users, ServiceAccounts, Groups []string
	// DeclaredUsers and DeclaredGroups are live users and groups skipped
	// because the environment's manifests already declare them.
	DeclaredUsers, DeclaredGroups []string
	// Filtered are users skipped by Include or Exclude; Ignored are users
	// skipped because unmanaged.ignore matches them.
	Filtered, Ignored []string
	// UnknownOwners are service accounts written with owner: unknown.
	UnknownOwners []string
	// PlaceholderKeys are console users written with the placeholder
	// pgp_key.
	PlaceholderKeys []string
	// Notes are changes the next plan will still make besides adoption
	// (for example a default tag the live user lacks).
	Notes []string
}

// liveUser is a user chosen for import.
type liveUser struct {
	u       *state.User
	service bool
	owner   string
}

// Build computes the import of live into env. It reads nothing from disk;
// Write writes the result.
func Build(cfg manifest.Config, env *manifest.Environment, live *state.Account, opts Options) (*Result, error) {
	if live == nil {
		live = &state.Account{}
	}
	for _, g := range slices.Concat(opts.Include, opts.Exclude) {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("bad glob %q: %w", g, err)
		}
	}
	// With Force, entries declared in files the import replaces are imported
	// again; which files it replaces depends on what it imports, so repeat
	// until the set of files is stable (it only grows).
	replaced := map[string]bool{}
	for {
		r, err := build(cfg, env, live, opts, replaced)
		if err != nil {
			return nil, err
		}
		if !opts.Force {
			return r, nil
		}
		grew := false
		for _, f := range r.Files {
			p := joinDisplay(env.Dir, f.Name)
			if !replaced[p] && declares(env, p) {
				replaced[p] = true
				grew = true
			}
		}
		if !grew {
			return r, nil
		}
	}
}

func joinDisplay(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// declares reports whether a manifest file of env declares anything.
func declares(env *manifest.Environment, file string) bool {
	for _, u := range env.Users {
		if u.Pos.File == file {
			return true
		}
	}
	for _, g := range env.Groups {
		if g.Pos.File == file {
			return true
		}
	}
	return false
}

func build(cfg manifest.Config, env *manifest.Environment, live *state.Account, opts Options, replaced map[string]bool) (*Result, error) {
	r := &Result{Dir: env.Dir}
	d := declaredIn(env, replaced)
	ownerTag := cfg.OwnerKey()
	users := selectUsers(cfg, env, live, opts, d, ownerTag, r)
	groups := selectGroups(live, opts, d, users, r)
	files, err := layout(cfg, env, live, opts, d, ownerTag, users, groups, r)
	if err != nil {
		return nil, err
	}
	stamp := opts.Now.UTC().Format(time.RFC3339)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		body, err := files[name].render(name)
		if err != nil {
			return nil, err
		}
		head := fmt.Sprintf("# yaml-language-server: $schema=%s\n# Imported from the live IAM of environment %s (account %s) by roster import at %s.\n\n",
			schema.Manifest.URL(), env.Name, env.AccountID, stamp)
		r.Files = append(r.Files, File{Name: name, Data: append([]byte(head), body...)})
	}
	slices.Sort(r.Notes)
	r.Notes = slices.Compact(r.Notes)
	return r, nil
}

// declared is what the manifests that stay already declare, by lower-case
// name.
type declared struct {
	users, groups map[string]bool
	// absent are the groups marked absent, in any manifest.
	absent map[string]bool
	// spelling is how the manifests spell a group.
	spelling map[string]string
}

func declaredIn(env *manifest.Environment, replaced map[string]bool) declared {
	d := declared{users: map[string]bool{}, groups: map[string]bool{}, absent: map[string]bool{}, spelling: map[string]string{}}
	for _, u := range env.Users {
		if !replaced[u.Pos.File] {
			d.users[strings.ToLower(u.Name)] = true
		}
	}
	for _, g := range env.Groups {
		if g.Absent {
			d.absent[strings.ToLower(g.Name)] = true
		}
		if !replaced[g.Pos.File] {
			d.groups[strings.ToLower(g.Name)] = true
			d.spelling[strings.ToLower(g.Name)] = g.Name
		}
	}
	return d
}

// selectUsers returns the live users to import, each marked as person or
// machine, and records in r the ones left out and why.
func selectUsers(cfg manifest.Config, env *manifest.Environment, live *state.Account, opts Options, d declared, ownerTag string, r *Result) []*liveUser {
	var users []*liveUser
	for _, name := range slices.Sorted(maps.Keys(live.Users)) {
		u := live.Users[name]
		switch {
		case d.users[strings.ToLower(name)]:
			r.DeclaredUsers = append(r.DeclaredUsers, name)
			continue
		case env.Unmanaged.Ignores(name):
			r.Ignored = append(r.Ignored, name)
			continue
		case len(opts.Include) > 0 && !matchAny(opts.Include, name), matchAny(opts.Exclude, name):
			r.Filtered = append(r.Filtered, name)
			continue
		}
		lu := &liveUser{u: u}
		owner, hasOwner := u.Tags[ownerTag]
		if !u.LoginProfile && (len(u.AccessKeys) > 0 || hasOwner) {
			lu.service = true
			lu.owner = owner
		}
		users = append(users, lu)
	}
	return users
}

// selectGroups returns the live groups to import: every undeclared live
// group on a full import; only the groups of imported users when filters
// narrow it (the loader needs every group a user names to be declared).
func selectGroups(live *state.Account, opts Options, d declared, users []*liveUser, r *Result) []*state.Group {
	filtered := len(opts.Include) > 0 || len(opts.Exclude) > 0
	needed := map[string]bool{}
	for _, lu := range users {
		for _, g := range lu.u.Groups {
			needed[strings.ToLower(g)] = true
		}
	}
	var groups []*state.Group
	for _, name := range slices.Sorted(maps.Keys(live.Groups)) {
		k := strings.ToLower(name)
		if d.groups[k] {
			r.DeclaredGroups = append(r.DeclaredGroups, name)
			continue
		}
		if filtered && !needed[k] {
			continue
		}
		groups = append(groups, live.Groups[name])
		r.Groups = append(r.Groups, name)
	}
	return groups
}

// fileContent is what one written file holds.
type fileContent struct {
	groups, people, machines []*yaml.Node
}

// layout places the entries in files: a group's file holds the group and
// the people whose first imported group it is; machines go to
// ServiceAccountsFile, people without an imported group to UsersFile.
func layout(cfg manifest.Config, env *manifest.Environment, live *state.Account, opts Options, d declared, ownerTag string,
	users []*liveUser, groups []*state.Group, r *Result,
) (map[string]*fileContent, error) {
	imported := map[string]bool{}
	for _, g := range groups {
		imported[strings.ToLower(g.Name)] = true
	}
	fileOf := groupFileNames(groups)
	files := map[string]*fileContent{}
	get := func(name string) *fileContent {
		if files[name] == nil {
			files[name] = &fileContent{}
		}
		return files[name]
	}
	w := &writer{cfg: cfg, env: env, opts: opts, ownTag: cfg.OwnershipKey(), ownerTag: ownerTag,
		defPath: cmp.Or(cfg.Defaults.Path, "/"), absent: d.absent, spelling: d.spelling, result: r}
	for _, g := range groups {
		f := get(fileOf[g.Name])
		f.groups = append(f.groups, w.group(g))
	}
	for _, lu := range users {
		n, err := w.user(lu)
		if err != nil {
			return nil, err
		}
		if lu.service {
			r.ServiceAccounts = append(r.ServiceAccounts, lu.u.Name)
			f := get(ServiceAccountsFile)
			f.machines = append(f.machines, n)
			continue
		}
		r.Users = append(r.Users, lu.u.Name)
		target := UsersFile
		for _, g := range sortedCopy(lu.u.Groups) {
			if imported[strings.ToLower(g)] {
				target = fileOf[liveGroupName(live, g)]
				break
			}
		}
		f := get(target)
		f.people = append(f.people, n)
	}
	return files, nil
}

// render writes the file's sections. Sections and entries are separated by
// blank lines, as people write them; yaml.v3 would run them together.
func (f *fileContent) render(name string) ([]byte, error) {
	var body bytes.Buffer
	for _, sec := range []struct {
		key   string
		items []*yaml.Node
	}{{"groups", f.groups}, {"users", f.people}, {"service_accounts", f.machines}} {
		if len(sec.items) == 0 {
			continue
		}
		if body.Len() > 0 {
			body.WriteString("\n")
		}
		body.WriteString(sec.key + ":\n")
		for i, it := range sec.items {
			data, err := encode(&yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{it}})
			if err != nil {
				return nil, fmt.Errorf("encode %s: %w", name, err)
			}
			if i > 0 {
				body.WriteString("\n")
			}
			for _, line := range strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n") {
				body.WriteString("  " + line)
			}
			body.WriteString("\n")
		}
	}
	return body.Bytes(), nil
}

// liveGroupName is the live spelling of a group name a user refers to.
func liveGroupName(live *state.Account, name string) string {
	if _, ok := live.Groups[name]; ok {
		return name
	}
	for n := range live.Groups {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return name
}

// groupFileNames gives each group a file name: <group>.yaml, unless that
// would clash with environment.yaml, the other imported files, a hidden
// name the loader skips, or another group on a case-insensitive file system.
func groupFileNames(groups []*state.Group) map[string]string {
	taken := map[string]bool{
		strings.ToLower(manifest.EnvironmentFile): true,
		ServiceAccountsFile:                       true,
		UsersFile:                                 true,
	}
	out := map[string]string{}
	for _, g := range groups {
		base := g.Name
		if strings.HasPrefix(base, ".") {
			base = "group" + base
		}
		name := base + ".yaml"
		for i := 2; taken[strings.ToLower(name)]; i++ {
			name = fmt.Sprintf("%s-group-%d.yaml", base, i)
			if i == 2 {
				name = base + "-group.yaml"
			}
		}
		taken[strings.ToLower(name)] = true
		out[g.Name] = name
	}
	return out
}

func matchAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, err := path.Match(g, name); err == nil && ok {
			return true
		}
	}
	return false
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// writer builds the YAML entries of one import.
type writer struct {
	cfg              manifest.Config
	env              *manifest.Environment
	opts             Options
	ownTag, ownerTag string
	defPath          string
	absent           map[string]bool
	spelling         map[string]string
	result           *Result
	key              string // the placeholder pgp_key, made on first use
}

func (w *writer) group(g *state.Group) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	addPair(n, "name", scalar(g.Name))
	if g.Path != "" && g.Path != w.defPath {
		addPair(n, "path", scalar(g.Path))
	}
	if len(g.ManagedPolicies) > 0 {
		addPair(n, "managed_policies", stringList(g.ManagedPolicies))
	}
	if len(g.InlinePolicies) > 0 {
		addPair(n, "inline_policies", policies(g.InlinePolicies))
	}
	return n
}

// groups returns the groups a user is written in, as the manifests spell
// them, without the groups to be deleted.
func (w *writer) groups(u *state.User) []string {
	var groups []string
	for _, g := range u.Groups {
		if w.absent[strings.ToLower(g)] {
			continue // the group's deletion removes the membership
		}
		groups = append(groups, cmp.Or(w.spelling[strings.ToLower(g)], g))
	}
	return groups
}

// tags returns the tags a user is written with: not roster's own, not
// those the defaults give anyway; it notes what the first apply changes.
func (w *writer) tags(lu *liveUser) map[string]string {
	u := lu.u
	tags := map[string]string{}
	for k, v := range u.Tags {
		if k == w.ownTag || (k == w.ownerTag && lu.service) {
			continue
		}
		if k == w.ownerTag {
			w.note("people keep no %s tag: the first apply removes it", w.ownerTag)
			continue
		}
		if dv, ok := w.cfg.Defaults.Tags[k]; ok && dv == v {
			continue
		}
		tags[k] = v
	}
	for k := range w.cfg.Defaults.Tags {
		if _, ok := u.Tags[k]; !ok {
			w.note("defaults.tags are added to every user: the first apply tags users that lack %s", k)
		}
	}
	return tags
}

func (w *writer) user(lu *liveUser) (*yaml.Node, error) {
	u := lu.u
	n := &yaml.Node{Kind: yaml.MappingNode}
	nameNode := scalar(u.Name)
	addPair(n, "name", nameNode)
	if lu.service {
		n.HeadComment = serviceAccountComment
		owner := scalar(lu.owner)
		if lu.owner == "" {
			owner = scalar(manifest.UnknownOwner)
			owner.LineComment = unknownOwnerComment
			w.result.UnknownOwners = append(w.result.UnknownOwners, u.Name)
		}
		addPair(n, "owner", owner)
	}
	if u.Path != "" && u.Path != w.defPath {
		addPair(n, "path", scalar(u.Path))
	}
	if groups := w.groups(u); len(groups) > 0 {
		addPair(n, "groups", stringList(groups))
	}
	if len(u.ManagedPolicies) > 0 {
		addPair(n, "managed_policies", stringList(u.ManagedPolicies))
	}
	inline := maps.Clone(u.InlinePolicies)
	mfa := !lu.service && u.LoginProfile && w.env.Guardrails.ConsoleRequiresMFA
	if mfa {
		if inline[plan.RequireMFAPolicyName] == "" {
			w.note("console users without the %s policy get it on the first apply (console_requires_mfa)", plan.RequireMFAPolicyName)
		}
		delete(inline, plan.RequireMFAPolicyName)
	}
	if len(inline) > 0 {
		addPair(n, "inline_policies", policies(inline))
	}
	if u.PermissionsBoundary != "" {
		addPair(n, "permissions_boundary", scalar(u.PermissionsBoundary))
	}
	if tags := w.tags(lu); len(tags) > 0 {
		m := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range slices.Sorted(maps.Keys(tags)) {
			addPair(m, k, scalar(tags[k]))
		}
		addPair(n, "tags", m)
	}
	if !lu.service && u.LoginProfile {
		key, err := w.placeholderKey()
		if err != nil {
			return nil, err
		}
		addPair(n, "console", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
		k := scalar("pgp_key")
		k.HeadComment = placeholderKeyComment
		n.Content = append(n.Content, k, scalar(key))
		w.result.PlaceholderKeys = append(w.result.PlaceholderKeys, u.Name)
	}
	return n, nil
}

func (w *writer) note(format string, args ...any) {
	w.result.Notes = append(w.result.Notes, fmt.Sprintf(format, args...))
}

func (w *writer) placeholderKey() (string, error) {
	if w.key != "" {
		return w.key, nil
	}
	k, err := PlaceholderKey(w.opts.Rand, w.opts.Now)
	if err != nil {
		return "", err
	}
	w.key = k
	return k, nil
}

func scalar(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

func addPair(m *yaml.Node, key string, val *yaml.Node) {
	m.Content = append(m.Content, scalar(key), val)
}

func stringList(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for _, s := range sortedCopy(items) {
		n.Content = append(n.Content, scalar(s))
	}
	return n
}

// policies turns inline policies (canonical JSON) into a mapping of policy
// name to document.
func policies(docs map[string]string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, name := range slices.Sorted(maps.Keys(docs)) {
		addPair(n, name, policyNode(docs[name]))
	}
	return n
}

// policyNode converts a JSON policy document into YAML nodes. A document
// that is not JSON (never the case for canonical documents) is kept as a
// string.
func policyNode(doc string) *yaml.Node {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return scalar(doc)
	}
	return valueNode(v, 0)
}

// Usual key order of policy documents and statements; other keys follow
// alphabetically.
var keyRank = map[string]int{
	"Version": 1, "Id": 2, "Statement": 3,
	"Sid": 1, "Effect": 2, "Principal": 3, "NotPrincipal": 4, "Action": 5, "NotAction": 6,
	"Resource": 7, "NotResource": 8, "Condition": 9,
}

func valueNode(v any, depth int) *yaml.Node {
	switch x := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode}
		keys := slices.Collect(maps.Keys(x))
		slices.SortFunc(keys, func(a, b string) int {
			if depth <= 2 { // document and statement level
				ra, rb := rankOf(a), rankOf(b)
				if ra != rb {
					return cmp.Compare(ra, rb)
				}
			}
			return cmp.Compare(a, b)
		})
		for _, k := range keys {
			addPair(n, k, valueNode(x[k], depth+1))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range x {
			n.Content = append(n.Content, valueNode(e, depth+1))
		}
		return n
	case string:
		return scalar(x)
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(x), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(x)}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(x)}
	default:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
}

func rankOf(k string) int {
	if r, ok := keyRank[k]; ok {
		return r
	}
	return 100
}

func encode(root *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ErrExists is returned by Write when a file exists and Force is not set.
var ErrExists = errors.New("file exists")

// Write writes the files into root, the environment folder. Unless force is
// set it writes nothing when any of them exists already.
func (r *Result) Write(root string, force bool) ([]string, error) {
	var exist []string
	for _, f := range r.Files {
		p := filepath.Join(root, f.Name)
		if _, err := os.Lstat(p); err == nil {
			exist = append(exist, p)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	if len(exist) > 0 && !force {
		return nil, fmt.Errorf("%w: %s; roster import never overwrites a file: move it away, or pass --force to replace it", ErrExists, strings.Join(exist, ", "))
	}
	var written []string
	for _, f := range r.Files {
		p := filepath.Join(root, f.Name)
		if err := os.WriteFile(p, f.Data, 0o644); err != nil { //nolint:gosec // manifests are meant to be read
			return written, fmt.Errorf("write %s: %w", p, err)
		}
		written = append(written, p)
	}
	return written, nil
}
