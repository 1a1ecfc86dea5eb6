package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/roster-dev/roster/internal/diag"
)

// Tree is an access directory as another commit holds it, for ReadBase:
// a checkout of the base branch ([DirTree]), or the GitHub API at the
// base commit. Names are slash-separated and relative to the access
// directory; a missing folder or file wraps [fs.ErrNotExist].
type Tree interface {
	ReadDir(name string) ([]fs.DirEntry, error)
	ReadFile(name string) ([]byte, error)
}

// DirTree is the access directory dir of a checkout, as a [Tree].
func DirTree(dir string) Tree { return fsTree{os.DirFS(dir)} }

type fsTree struct{ fsys fs.FS }

func (t fsTree) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(t.fsys, name) }
func (t fsTree) ReadFile(name string) ([]byte, error)       { return fs.ReadFile(t.fsys, name) }

// ReadBase reads, for each environment in names that tree holds, its
// users and service accounts with what their time-bound grants need:
// name, kind, groups with each membership's expires, expires and absent.
// Nothing else is read or checked, so a base that a newer roster would
// find fault with elsewhere still compares. An environment folder tree
// does not hold is left out (the change adds it). label names the tree in
// errors ("access@1a2b3c4").
//
// It reads the manifest files the loader reads (YAML files below the
// folder, other than environment.yaml and hidden ones), and refuses a
// symbolic link, a submodule or anything but folders and files: the base
// is not guessed at.
func ReadBase(tree Tree, label string, names []string) (map[string][]*User, error) {
	out := map[string][]*User{}
	for _, name := range names {
		files, err := baseFiles(tree, label, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var users []*User
		for _, f := range files {
			data, err := tree.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("read %s in %s: %w", f, label, err)
			}
			read, err := readBaseUsers(label+": "+f, data)
			if err != nil {
				return nil, err
			}
			users = append(users, read...)
		}
		if err := uniqueBaseUsers(label, name, users); err != nil {
			return nil, err
		}
		out[name] = users
	}
	return out, nil
}

// baseFiles lists the manifest files of the environment folder name in
// tree, sorted; an error wrapping fs.ErrNotExist when tree has no such
// folder.
func baseFiles(tree Tree, label, name string) ([]string, error) {
	var files []string
	var walk func(dir string) error
	walk = func(dir string) error {
		entries, err := tree.ReadDir(dir)
		if err != nil {
			if dir != name && errors.Is(err, fs.ErrNotExist) {
				err = fmt.Errorf("the folder vanished while it was read: %w", err)
			}
			return fmt.Errorf("list %s in %s: %w", dir, label, err)
		}
		for _, e := range entries {
			rel := path.Join(dir, e.Name())
			switch {
			case strings.HasPrefix(e.Name(), "."):
			case e.IsDir():
				if err := walk(rel); err != nil {
					return err
				}
			case !e.Type().IsRegular():
				return fmt.Errorf("%s in %s is %s, which the comparison does not follow", rel, label, entryKindWords(e.Type()))
			case isYAML(e.Name()) && rel != name+"/"+EnvironmentFile && rel != name+"/environment.yml":
				files = append(files, rel)
			}
		}
		return nil
	}
	if err := walk(name); err != nil {
		return nil, err
	}
	slices.Sort(files)
	return files, nil
}

func entryKindWords(m fs.FileMode) string {
	if m&fs.ModeSymlink != 0 {
		return "a symbolic link"
	}
	return "neither a file nor a folder"
}

// readBaseUsers reads the users and service accounts of one manifest file
// given as data (name is shown in errors).
func readBaseUsers(name string, data []byte) ([]*User, error) {
	var diags diag.List
	d := &decoder{file: name, diags: &diags}
	root, ok := d.parse(data)
	if !ok || diags.HasErrors() {
		return nil, fmt.Errorf("read %s: %v", name, diags)
	}
	top, _ := d.mapping(root, "manifest")
	l := &loader{}
	var out []*User
	for _, e := range top {
		kind := map[string]Kind{"users": Person, "service_accounts": ServiceAccount}[e.name]
		if kind == "" {
			continue
		}
		items, _ := d.list(e.val, e.name)
		for _, it := range items {
			if u := l.baseUser(d, it, kind); u != nil {
				out = append(out, u)
			}
		}
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("read %s: %v", name, diags)
	}
	return out, nil
}

// baseUser reads one entry of a users or service_accounts list for
// ReadBase: name, groups, expires and absent, with the loader's own
// readers of memberships and expiry.
func (l *loader) baseUser(d *decoder, n *yaml.Node, kind Kind) *User {
	entries, ok := d.mapping(n, string(kind))
	if !ok {
		return nil
	}
	u := &userSrc{u: &User{Kind: kind, Pos: d.pos(n)}}
	for _, e := range entries {
		switch e.name {
		case "name":
			u.u.Name, _ = d.str(e.val, "name")
		case "absent":
			if !isNull(e.val) {
				u.u.Absent, _ = d.boolean(e.val, "absent")
			}
		case "groups":
			l.userGroups(d, e, u, u.u.Name)
		case "expires":
			if isNull(e.val) {
				continue
			}
			if exp, ok := l.expiry(d, d.node(e.val), "expires"); ok {
				u.u.Expires = &exp
			}
		}
	}
	if u.u.Name == "" {
		d.errorf(n, ruleRequired, "", "a %s has no name", kind)
		return nil
	}
	return u.u
}

// uniqueBaseUsers refuses a base that declares a user twice: its grants
// would be ambiguous.
func uniqueBaseUsers(label, env string, users []*User) error {
	seen := map[string]*User{}
	for _, u := range users {
		k := strings.ToLower(u.Name)
		if first, dup := seen[k]; dup {
			return fmt.Errorf("%s: %s declares user %q twice in %s (%s and %s)", label, env, u.Name, env, first.Pos, u.Pos)
		}
		seen[k] = u
	}
	return nil
}
