package awsiam

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/policy"
	"github.com/roster-dev/roster/internal/state"
)

const managedTag = manifest.DefaultOwnershipTag

// connectTo opens a plan session on the fake for account id, through a role
// when role is not empty.
func connectTo(t testing.TB, s *iamtest.Server, id, role string) *Account {
	t.Helper()
	env := &manifest.Environment{Name: "env-" + id[:4], AccountID: id}
	if role != "" {
		env.RoleARN = "arn:aws:iam::" + id + ":role/" + role
	}
	a, err := Connect(context.Background(), s.AWSConfig(id), env, ForPlan)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return a
}

// seeded is a random account put into the fake, with the state a reader
// must return for it.
type seeded struct {
	id    string
	want  *state.Account
	needs func(*state.User) state.Details
	// Users needs asks LoginProfile and Credentials for.
	login, creds int
}

// hashName gives a user a stable pseudo-random number, so that the needs
// function and the expectations agree without sharing state.
func hashName(name string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32()
}

// testNeeds asks console access for managed users and a third of the rest,
// and credentials for a quarter of all users.
func testNeeds(u *state.User) state.Details {
	var d state.Details
	h := hashName(u.Name)
	if u.Tags[managedTag] == "true" || h%3 == 0 {
		d |= state.LoginProfile
	}
	if h%4 == 1 {
		d |= state.Credentials
	}
	return d
}

var (
	paths      = []string{"/", "/people/", "/svc/ci/", "/teams/payments/", "/a-b_c/"}
	awsManaged = []string{
		"arn:aws:iam::aws:policy/ReadOnlyAccess",
		"arn:aws:iam::aws:policy/PowerUserAccess",
		"arn:aws:iam::aws:policy/IAMUserChangePassword",
	}
	nameSuffixes = []string{"", "@example.com", "+ci", "_svc", ".ops", "=x", ",y"}
	tagKeys      = []string{"team", "email", "cost-center", "roster:owner", "Name"}
	baseTime     = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
)

// randomPolicy returns a policy document as Go values and one of several
// JSON spellings of it: compact, indented, keys in reverse order, single
// actions as a string or a one-element list.
func randomPolicy(rng *rand.Rand) (canonical, spelled string, err error) {
	actions := []string{"s3:GetObject", "s3:ListBucket", "ec2:Describe*", "aws-portal:*", "iam:ChangePassword"}
	n := 1 + rng.IntN(3)
	var act []any
	for _, i := range rng.Perm(len(actions))[:n] {
		act = append(act, actions[i])
	}
	stmt := map[string]any{
		"Effect":   []string{"Allow", "Deny"}[rng.IntN(2)],
		"Action":   act,
		"Resource": "*",
	}
	if rng.IntN(3) == 0 {
		stmt["Sid"] = fmt.Sprintf("S%d", rng.IntN(100))
	}
	doc := map[string]any{"Version": "2012-10-17", "Statement": []any{stmt}}
	canonical, err = policy.CanonicalValue(doc)
	if err != nil {
		return "", "", err
	}
	spelled, err = spell(rng, doc)
	return canonical, spelled, err
}

func spell(rng *rand.Rand, doc map[string]any) (string, error) {
	stmt := doc["Statement"].([]any)[0].(map[string]any)
	if a := stmt["Action"].([]any); len(a) == 1 && rng.IntN(2) == 0 {
		// "Action": "x" means the same as "Action": ["x"].
		stmt = maps.Clone(stmt)
		stmt["Action"] = a[0]
		doc = map[string]any{"Version": doc["Version"], "Statement": []any{stmt}}
	}
	if rng.IntN(3) == 0 {
		// A lone statement may be written without its list.
		doc = map[string]any{"Version": doc["Version"], "Statement": stmt}
	}
	switch rng.IntN(3) {
	case 0:
		b, err := json.Marshal(doc)
		return string(b), err
	case 1:
		b, err := json.MarshalIndent(doc, "", "\t ")
		return string(b), err
	default:
		return reversedJSON(doc), nil
	}
}

// reversedJSON writes objects with their keys in reverse order and loose
// whitespace.
func reversedJSON(v any) string {
	switch v := v.(type) {
	case map[string]any:
		keys := slices.Sorted(maps.Keys(v))
		slices.Reverse(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%q :  %s", k, reversedJSON(v[k]))
		}
		return "{ " + strings.Join(parts, " ,\n ") + " }"
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = reversedJSON(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

func randomID(rng *rand.Rand, prefix string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := []byte(prefix)
	for range n {
		b = append(b, alphabet[rng.IntN(len(alphabet))])
	}
	return string(b)
}

// seedAccount fills account id of the fake with nUsers random users and a
// few groups, and returns the state readers must report.
func seedAccount(t testing.TB, s *iamtest.Server, id string, rng *rand.Rand, nUsers int) seeded {
	t.Helper()
	fa := s.Account(id)
	want := &state.Account{AccountID: id, Users: map[string]*state.User{}, Groups: map[string]*state.Group{}}
	customer := []string{
		"arn:aws:iam::" + id + ":policy/deploy",
		"arn:aws:iam::" + id + ":policy/team/boundary",
	}
	for _, arn := range customer {
		fa.CreatePolicy(arn)
	}
	pool := append(slices.Clone(awsManaged), customer...)
	pick := func(max int) []string {
		var out []string
		for _, i := range rng.Perm(len(pool))[:rng.IntN(max+1)] {
			out = append(out, pool[i])
		}
		return out
	}
	inline := func(max int) (seed, canon map[string]string) {
		n := rng.IntN(max + 1)
		if n == 0 {
			return nil, nil
		}
		seed, canon = map[string]string{}, map[string]string{}
		for i := range n {
			c, spelled, err := randomPolicy(rng)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("inline-%d", i)
			seed[name], canon[name] = spelled, c
		}
		return seed, canon
	}

	var groupNames []string
	for i := range rng.IntN(8) {
		name := fmt.Sprintf("group-%d", i)
		seedDocs, canon := inline(2)
		g := iamtest.Group{Name: name, Path: paths[rng.IntN(len(paths))], ManagedPolicies: pick(3), InlinePolicies: seedDocs}
		got := fa.PutGroup(g)
		want.Groups[name] = &state.Group{
			Name:            name,
			Path:            g.Path,
			ARN:             "arn:aws:iam::" + id + ":group" + g.Path + name,
			ID:              got.ID,
			ManagedPolicies: slices.Clone(g.ManagedPolicies),
			InlinePolicies:  canon,
		}
		groupNames = append(groupNames, name)
	}

	var out seeded
	for i := range nUsers {
		name := fmt.Sprintf("u%04d%s", i, nameSuffixes[rng.IntN(len(nameSuffixes))])
		u := iamtest.User{Name: name, Path: paths[rng.IntN(len(paths))], ManagedPolicies: pick(2)}
		w := &state.User{Name: name, Path: u.Path, ARN: "arn:aws:iam::" + id + ":user" + u.Path + name}
		if len(groupNames) > 0 {
			for _, j := range rng.Perm(len(groupNames))[:rng.IntN(min(3, len(groupNames))+1)] {
				u.Groups = append(u.Groups, groupNames[j])
				w.Groups = append(w.Groups, groupNames[j])
			}
		}
		w.ManagedPolicies = slices.Clone(u.ManagedPolicies)
		u.InlinePolicies, w.InlinePolicies = inline(2)
		if rng.IntN(2) == 0 {
			u.Tags = append(u.Tags, iamtest.Tag{Key: managedTag, Value: "true"})
		}
		for _, k := range rng.Perm(len(tagKeys))[:rng.IntN(3)] {
			u.Tags = append(u.Tags, iamtest.Tag{Key: tagKeys[k], Value: fmt.Sprintf("v%d", rng.IntN(50))})
		}
		if len(u.Tags) > 0 {
			w.Tags = map[string]string{}
			for _, tg := range u.Tags {
				w.Tags[tg.Key] = tg.Value
			}
		}
		if rng.IntN(4) == 0 {
			u.PermissionsBoundary = customer[1]
			w.PermissionsBoundary = customer[1]
		}
		if rng.IntN(2) == 0 {
			u.LoginProfile = &iamtest.LoginProfile{Password: "Secret-Passw0rd!"}
		}
		var keys []state.AccessKey
		for range rng.IntN(3) {
			k := iamtest.AccessKey{
				ID:         randomID(rng, "AKIA", 16),
				Status:     []string{"Active", "Inactive"}[rng.IntN(2)],
				CreateDate: baseTime.AddDate(0, 0, rng.IntN(400)),
			}
			u.AccessKeys = append(u.AccessKeys, k)
			keys = append(keys, state.AccessKey{ID: k.ID, Status: k.Status, Created: k.CreateDate})
		}
		var mfa []string
		if rng.IntN(3) == 0 {
			u.MFADevices = []iamtest.MFADevice{{}}
			mfa = []string{"arn:aws:iam::" + id + ":mfa/" + name}
		}
		var ssh, certs []string
		for range rng.IntN(2) {
			k := iamtest.SSHPublicKey{ID: randomID(rng, "APKA", 16), Body: "ssh-rsa AAAAB3Nza test"}
			u.SSHPublicKeys = append(u.SSHPublicKeys, k)
			ssh = append(ssh, k.ID)
		}
		for range rng.IntN(2) {
			c := iamtest.SigningCertificate{ID: randomID(rng, "", 32), Body: "-----BEGIN CERTIFICATE-----"}
			u.SigningCertificates = append(u.SigningCertificates, c)
			certs = append(certs, c.ID)
		}
		var svc []state.ServiceCredential
		for range rng.IntN(2) {
			c := iamtest.ServiceSpecificCredential{
				ID:          randomID(rng, "ACCA", 16),
				ServiceName: []string{"codecommit.amazonaws.com", "cassandra.amazonaws.com"}[rng.IntN(2)],
			}
			u.ServiceSpecificCredentials = append(u.ServiceSpecificCredentials, c)
			svc = append(svc, state.ServiceCredential{ID: c.ID, ServiceName: c.ServiceName})
		}
		got := fa.PutUser(u)
		w.ID, w.Created = got.ID, got.CreateDate.UTC()

		need := testNeeds(w)
		if need.Has(state.LoginProfile) {
			w.Details |= state.LoginProfile
			w.LoginProfile = u.LoginProfile != nil
			out.login++
		}
		if need.Has(state.Credentials) {
			w.Details |= state.Credentials
			w.AccessKeys, w.MFADevices, w.SSHPublicKeys, w.SigningCertificates, w.ServiceSpecificCredentials = keys, mfa, ssh, certs, svc
			out.creds++
		}
		want.Users[name] = w
	}
	normalize(want)
	out.id, out.want, out.needs = id, want, testNeeds
	return out
}

// normalize sorts the expected state's lists, turns empty ones into nil and
// fills in group members from the users, independently of the readers' code.
func normalize(a *state.Account) {
	sorted := func(s []string) []string {
		if len(s) == 0 {
			return nil
		}
		slices.Sort(s)
		return s
	}
	for _, g := range a.Groups {
		g.Members = nil
	}
	for _, name := range slices.Sorted(maps.Keys(a.Users)) {
		u := a.Users[name]
		for _, g := range u.Groups {
			a.Groups[g].Members = append(a.Groups[g].Members, name)
		}
		u.Groups = sorted(u.Groups)
		u.ManagedPolicies = sorted(u.ManagedPolicies)
		u.MFADevices = sorted(u.MFADevices)
		u.SSHPublicKeys = sorted(u.SSHPublicKeys)
		u.SigningCertificates = sorted(u.SigningCertificates)
		slices.SortFunc(u.AccessKeys, func(x, y state.AccessKey) int { return strings.Compare(x.ID, y.ID) })
		slices.SortFunc(u.ServiceSpecificCredentials, func(x, y state.ServiceCredential) int { return strings.Compare(x.ID, y.ID) })
	}
	for _, g := range a.Groups {
		g.Members = sorted(g.Members)
		g.ManagedPolicies = sorted(g.ManagedPolicies)
	}
}

// envFor is an environment for account id, assuming role when not empty.
func envFor(id, role string) *manifest.Environment {
	return &manifest.Environment{Name: "env-" + id[:4], AccountID: id, RoleARN: role}
}
