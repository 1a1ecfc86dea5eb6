package iamtest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Tag is a key/value tag on a user or policy.
type Tag struct {
	Key   string
	Value string
}

// User is one IAM user with everything attached to it. It is both the seeding
// input of [Account.PutUser] (zero IDs and dates are filled in) and the
// read-back form of [Account.User] and [Account.Snapshot].
type User struct {
	Name       string
	Path       string // "/" when empty
	ID         string // AIDA…, generated when empty
	ARN        string // derived from the account, path and name
	CreateDate time.Time
	// PasswordLastUsed is reported by GetUser and the credential report.
	PasswordLastUsed time.Time
	Tags             []Tag
	// Groups holds the names of the groups the user belongs to.
	Groups []string
	// ManagedPolicies holds the ARNs of attached managed policies.
	ManagedPolicies []string
	// InlinePolicies maps policy name to the document exactly as it was put.
	InlinePolicies      map[string]string
	PermissionsBoundary string
	// LoginProfile is nil when the user has no console password.
	LoginProfile *LoginProfile
	AccessKeys   []AccessKey
	// MFADevices lists the virtual MFA devices enabled for the user; seeding a
	// zero MFADevice creates and enables arn:aws:iam::<acct>:mfa/<user>.
	MFADevices                 []MFADevice
	SSHPublicKeys              []SSHPublicKey
	SigningCertificates        []SigningCertificate
	ServiceSpecificCredentials []ServiceSpecificCredential
}

// LoginProfile is a user's console password.
type LoginProfile struct {
	CreateDate            time.Time
	PasswordResetRequired bool
	Password              string
	// PasswordChanged is when the password was last set; zero means
	// CreateDate. The credential report's password_last_changed.
	PasswordChanged time.Time
}

// AccessKey is one access key of a user.
type AccessKey struct {
	ID         string // AKIA…, generated when empty
	Secret     string
	Status     string // "Active" (default) or "Inactive"
	CreateDate time.Time
	// LastUsed is zero when the key was never used.
	LastUsed        time.Time
	LastUsedService string
	LastUsedRegion  string
}

// MFADevice is a virtual MFA device enabled for a user.
type MFADevice struct {
	SerialNumber string
	EnableDate   time.Time
}

// SSHPublicKey is an SSH public key uploaded for CodeCommit.
type SSHPublicKey struct {
	ID          string // APKA…
	Body        string
	Fingerprint string
	Status      string
	UploadDate  time.Time
}

// SigningCertificate is an X.509 signing certificate of a user.
type SigningCertificate struct {
	ID         string
	Body       string
	Status     string
	UploadDate time.Time
}

// ServiceSpecificCredential is a credential for one AWS service (CodeCommit,
// Keyspaces, Bedrock).
type ServiceSpecificCredential struct {
	ID          string // ACCA…
	ServiceName string
	UserName    string // the service user name
	Password    string
	Status      string
	CreateDate  time.Time
}

// Group is one IAM group. Members are the names of its users; membership is
// seeded from [User.Groups], so [Account.PutGroup] ignores Members.
type Group struct {
	Name            string
	Path            string
	ID              string // AGPA…
	ARN             string
	CreateDate      time.Time
	Members         []string
	ManagedPolicies []string
	InlinePolicies  map[string]string
}

// Role is an IAM role that callers may assume. Allow lists the IAM actions
// its sessions may call ("iam:ListUsers", globs like "iam:List*"); empty
// allows every action.
type Role struct {
	Name       string
	ID         string
	ARN        string
	CreateDate time.Time
	Allow      []string
}

// Policy is a customer managed policy.
type Policy struct {
	ARN         string
	Name        string
	Path        string
	ID          string // ANPA…
	Description string
	// Document is the default version's document as it was created.
	Document   string
	CreateDate time.Time
}

// VirtualMFADevice is an account's virtual MFA device, assigned to User once
// enabled.
type VirtualMFADevice struct {
	SerialNumber string
	User         string
	EnableDate   time.Time
}

// PasswordPolicy is the account password policy.
type PasswordPolicy struct {
	MinimumPasswordLength      int32
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	AllowUsersToChangePassword bool
	MaxPasswordAge             int32
	PasswordReusePrevention    int32
	HardExpiry                 bool
}

// Snapshot is a deterministic deep copy of one account's state: entities are
// sorted by name and their lists sorted, so two snapshots of equal state are
// equal under cmp.Diff.
type Snapshot struct {
	AccountID         string
	Users             []User
	Groups            []Group
	Roles             []Role
	Policies          []Policy
	VirtualMFADevices []VirtualMFADevice
	PasswordPolicy    *PasswordPolicy
}

// Account is the state of one AWS account inside a [Server]. Its methods are
// safe for concurrent use with requests in flight.
type Account struct {
	srv *Server
	id  string

	// mu guards the account's state below, so that requests on different
	// accounts do not wait for each other. It is taken before the server's
	// lock, never while holding it.
	mu sync.Mutex
	// version counts changes to the state: every write action and every
	// seeding call bumps it, so listings built from the state can be kept
	// until it changes.
	version uint64
	// details caches GetAccountAuthorizationDetails' sorted listing per
	// filter, valid while version is unchanged.
	details        map[string]*detailsListing
	detailsVersion uint64

	users    map[string]*User // by lower-case name
	groups   map[string]*Group
	roles    map[string]*Role
	policies map[string]*Policy // by ARN
	mfa      map[string]*VirtualMFADevice
	keyOwner map[string]*User // access key ID → user

	passwordPolicy *PasswordPolicy
	report         reportState
	// visibleAt holds when users and groups created under a propagation
	// delay become visible by name ("user/<name>", "group/<name>").
	visibleAt map[string]time.Time
}

type reportState struct {
	state     string // "", "STARTED", "COMPLETE"
	content   []byte
	generated time.Time
}

func newAccount(s *Server, id string) *Account {
	return &Account{
		srv:      s,
		id:       id,
		users:    map[string]*User{},
		groups:   map[string]*Group{},
		roles:    map[string]*Role{},
		policies: map[string]*Policy{},
		mfa:      map[string]*VirtualMFADevice{},
		keyOwner: map[string]*User{},
	}
}

// ID returns the account's 12-digit ID.
func (a *Account) ID() string { return a.id }

func (a *Account) arn(kind, path, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:%s%s%s", a.id, kind, path, name)
}

func key(name string) string { return strings.ToLower(name) }

func cloneUser(u *User) User {
	c := *u
	c.Tags = slices.Clone(u.Tags)
	c.Groups = slices.Clone(u.Groups)
	c.ManagedPolicies = slices.Clone(u.ManagedPolicies)
	c.InlinePolicies = maps.Clone(u.InlinePolicies)
	if u.LoginProfile != nil {
		lp := *u.LoginProfile
		c.LoginProfile = &lp
	}
	c.AccessKeys = slices.Clone(u.AccessKeys)
	c.MFADevices = slices.Clone(u.MFADevices)
	c.SSHPublicKeys = slices.Clone(u.SSHPublicKeys)
	c.SigningCertificates = slices.Clone(u.SigningCertificates)
	c.ServiceSpecificCredentials = slices.Clone(u.ServiceSpecificCredentials)
	return c
}

func cloneGroup(g *Group) Group {
	c := *g
	c.Members = slices.Clone(g.Members)
	c.ManagedPolicies = slices.Clone(g.ManagedPolicies)
	c.InlinePolicies = maps.Clone(g.InlinePolicies)
	return c
}

// User returns a deep copy of the named user (case-insensitive), or false.
func (a *Account) User(name string) (User, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.users[key(name)]
	if !ok {
		return User{}, false
	}
	return cloneUser(u), true
}

// Group returns a deep copy of the named group (case-insensitive), or false.
func (a *Account) Group(name string) (Group, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, ok := a.groups[key(name)]
	if !ok {
		return Group{}, false
	}
	return cloneGroup(g), true
}

// UserNames returns the names of all users, sorted.
func (a *Account) UserNames() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	names := make([]string, 0, len(a.users))
	for _, u := range a.users {
		names = append(names, u.Name)
	}
	slices.Sort(names)
	return names
}

// Snapshot returns a deterministic deep copy of the whole account state.
func (a *Account) Snapshot() Snapshot {
	a.mu.Lock()
	defer a.mu.Unlock()
	snap := Snapshot{AccountID: a.id}
	for _, u := range sortedValues(a.users, func(u *User) string { return u.Name }) {
		c := cloneUser(u)
		slices.SortFunc(c.Tags, func(x, y Tag) int { return strings.Compare(x.Key, y.Key) })
		slices.Sort(c.Groups)
		slices.Sort(c.ManagedPolicies)
		snap.Users = append(snap.Users, c)
	}
	for _, g := range sortedValues(a.groups, func(g *Group) string { return g.Name }) {
		c := cloneGroup(g)
		slices.Sort(c.Members)
		slices.Sort(c.ManagedPolicies)
		snap.Groups = append(snap.Groups, c)
	}
	for _, r := range sortedValues(a.roles, func(r *Role) string { return r.Name }) {
		c := *r
		c.Allow = slices.Clone(r.Allow)
		snap.Roles = append(snap.Roles, c)
	}
	for _, p := range sortedValues(a.policies, func(p *Policy) string { return p.ARN }) {
		snap.Policies = append(snap.Policies, *p)
	}
	for _, d := range sortedValues(a.mfa, func(d *VirtualMFADevice) string { return d.SerialNumber }) {
		snap.VirtualMFADevices = append(snap.VirtualMFADevices, *d)
	}
	if a.passwordPolicy != nil {
		pp := *a.passwordPolicy
		snap.PasswordPolicy = &pp
	}
	return snap
}

func sortedValues[V any](m map[string]V, name func(V) string) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(x, y V) int { return strings.Compare(name(x), name(y)) })
	return out
}

// fatalf reports a seeding mistake: through the server's testing.TB when it
// has one, by panicking otherwise.
func (s *Server) fatalf(format string, args ...any) {
	if s.tb != nil {
		s.tb.Helper()
		s.tb.Fatalf("iamtest: "+format, args...)
		return
	}
	panic(fmt.Sprintf("iamtest: "+format, args...))
}

// AddRole creates (or replaces) a role that callers can assume with
// sts:AssumeRole. allow restricts the IAM actions its sessions may call;
// entries are "iam:Action" or globs such as "iam:List*".
func (a *Account) AddRole(name string, allow ...string) Role {
	a.mu.Lock()
	a.version++
	defer a.mu.Unlock()
	r := &Role{
		Name:       name,
		ID:         a.srv.newID("AROA"),
		ARN:        a.arn("role", "/", name),
		CreateDate: a.srv.now(),
		Allow:      slices.Clone(allow),
	}
	a.roles[key(name)] = r
	return *r
}

// CreatePolicy creates a customer managed policy from its ARN
// (arn:aws:iam::<this account>:policy/<path><name>) with an allow-all
// document, so that users and groups can attach it.
func (a *Account) CreatePolicy(arn string) Policy {
	a.mu.Lock()
	a.version++
	defer a.mu.Unlock()
	prefix := "arn:aws:iam::" + a.id + ":policy"
	rest, ok := strings.CutPrefix(arn, prefix)
	if !ok || !strings.HasPrefix(rest, "/") {
		a.srv.fatalf("CreatePolicy(%q): not a policy ARN of account %s", arn, a.id)
		return Policy{}
	}
	i := strings.LastIndex(rest, "/")
	p := a.addPolicy(rest[i+1:], rest[:i+1], "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	return *p
}

func (a *Account) addPolicy(name, path, description, doc string) *Policy {
	p := &Policy{
		ARN:         a.arn("policy", path, name),
		Name:        name,
		Path:        path,
		ID:          a.srv.newID("ANPA"),
		Description: description,
		Document:    doc,
		CreateDate:  a.srv.now(),
	}
	a.policies[p.ARN] = p
	return p
}

// SetPasswordPolicy sets (or with nil, deletes) the account password policy
// that CreateLoginProfile and UpdateLoginProfile enforce.
func (a *Account) SetPasswordPolicy(p *PasswordPolicy) {
	a.mu.Lock()
	a.version++
	defer a.mu.Unlock()
	if p == nil {
		a.passwordPolicy = nil
		return
	}
	c := *p
	a.passwordPolicy = &c
}

// PutGroup creates or replaces a group with its policies (members come from
// users' Groups). Customer managed policies must exist.
func (a *Account) PutGroup(g Group) Group {
	a.mu.Lock()
	a.version++
	defer a.mu.Unlock()
	if err := validName(g.Name, 128); err != nil {
		a.srv.fatalf("PutGroup: %v", err)
		return Group{}
	}
	if g.Path == "" {
		g.Path = "/"
	}
	for _, arn := range g.ManagedPolicies {
		if !a.policyExists(arn) {
			a.srv.fatalf("PutGroup(%s): policy %s does not exist; create it first", g.Name, arn)
			return Group{}
		}
	}
	old := a.groups[key(g.Name)]
	ng := cloneGroup(&g)
	ng.Members = nil
	if old != nil {
		ng.Members = old.Members
		if ng.ID == "" {
			ng.ID = old.ID
		}
		if ng.CreateDate.IsZero() {
			ng.CreateDate = old.CreateDate
		}
	}
	if ng.ID == "" {
		ng.ID = a.srv.newID("AGPA")
	}
	if ng.CreateDate.IsZero() {
		ng.CreateDate = a.srv.now()
	}
	ng.ARN = a.arn("group", ng.Path, ng.Name)
	if ng.InlinePolicies == nil {
		ng.InlinePolicies = map[string]string{}
	}
	a.groups[key(g.Name)] = &ng
	return cloneGroup(&ng)
}

// PutUser creates or replaces a user with everything attached to it, without
// HTTP: fast enough to seed tens of thousands of users, or to make an
// out-of-band change. Groups and customer managed policies it names must
// exist. Zero IDs, secrets and dates are generated (a replaced user keeps its
// ID and creation date); an empty Status means Active.
func (a *Account) PutUser(u User) User {
	a.mu.Lock()
	a.version++
	defer a.mu.Unlock()
	if err := validName(u.Name, 64); err != nil {
		a.srv.fatalf("PutUser: %v", err)
		return User{}
	}
	for _, g := range u.Groups {
		if _, ok := a.groups[key(g)]; !ok {
			a.srv.fatalf("PutUser(%s): group %s does not exist; PutGroup it first", u.Name, g)
			return User{}
		}
	}
	for _, arn := range u.ManagedPolicies {
		if !a.policyExists(arn) {
			a.srv.fatalf("PutUser(%s): policy %s does not exist; create it first", u.Name, arn)
			return User{}
		}
	}
	nu := cloneUser(&u)
	if old, ok := a.users[key(u.Name)]; ok {
		// Replacing a user keeps its identity unless the seed sets one.
		if nu.ID == "" {
			nu.ID = old.ID
		}
		if nu.CreateDate.IsZero() {
			nu.CreateDate = old.CreateDate
		}
		a.removeUser(old)
	}
	now := a.srv.now()
	if nu.Path == "" {
		nu.Path = "/"
	}
	if nu.ID == "" {
		nu.ID = a.srv.newID("AIDA")
	}
	if nu.CreateDate.IsZero() {
		nu.CreateDate = now
	}
	nu.ARN = a.arn("user", nu.Path, nu.Name)
	if nu.InlinePolicies == nil {
		nu.InlinePolicies = map[string]string{}
	}
	nu.Groups = nil
	for _, gname := range u.Groups {
		g := a.groups[key(gname)]
		if slices.Contains(nu.Groups, g.Name) {
			continue
		}
		nu.Groups = append(nu.Groups, g.Name)
		g.Members = append(g.Members, nu.Name)
	}
	if nu.LoginProfile != nil && nu.LoginProfile.CreateDate.IsZero() {
		nu.LoginProfile.CreateDate = now
	}
	for i := range nu.AccessKeys {
		k := &nu.AccessKeys[i]
		if k.ID == "" {
			k.ID = a.srv.newID("AKIA")
		}
		if k.Secret == "" {
			k.Secret = a.srv.newSecret()
		}
		if k.Status == "" {
			k.Status = "Active"
		}
		if k.CreateDate.IsZero() {
			k.CreateDate = now
		}
	}
	for i := range nu.MFADevices {
		d := &nu.MFADevices[i]
		if d.SerialNumber == "" {
			d.SerialNumber = a.arn("mfa", "/", nu.Name)
			if i > 0 {
				d.SerialNumber = fmt.Sprintf("%s-%d", d.SerialNumber, i+1)
			}
		}
		if d.EnableDate.IsZero() {
			d.EnableDate = now
		}
		a.mfa[d.SerialNumber] = &VirtualMFADevice{SerialNumber: d.SerialNumber, User: nu.Name, EnableDate: d.EnableDate}
	}
	for i := range nu.SSHPublicKeys {
		k := &nu.SSHPublicKeys[i]
		if k.ID == "" {
			k.ID = a.srv.newID("APKA")
		}
		if k.Status == "" {
			k.Status = "Active"
		}
		if k.UploadDate.IsZero() {
			k.UploadDate = now
		}
	}
	for i := range nu.SigningCertificates {
		c := &nu.SigningCertificates[i]
		if c.ID == "" {
			c.ID = a.srv.newCertID()
		}
		if c.Status == "" {
			c.Status = "Active"
		}
		if c.UploadDate.IsZero() {
			c.UploadDate = now
		}
	}
	for i := range nu.ServiceSpecificCredentials {
		c := &nu.ServiceSpecificCredentials[i]
		if c.ID == "" {
			c.ID = a.srv.newID("ACCA")
		}
		if c.ServiceName == "" {
			c.ServiceName = "codecommit.amazonaws.com"
		}
		if c.UserName == "" {
			c.UserName = nu.Name + "-at-" + a.id
		}
		if c.Status == "" {
			c.Status = "Active"
		}
		if c.CreateDate.IsZero() {
			c.CreateDate = now
		}
	}
	a.users[key(nu.Name)] = &nu
	for _, k := range nu.AccessKeys {
		a.keyOwner[k.ID] = &nu
	}
	return cloneUser(&nu)
}

// removeUser drops a user and every reference to it.
func (a *Account) removeUser(u *User) {
	for _, gname := range u.Groups {
		if g, ok := a.groups[key(gname)]; ok {
			g.Members = slices.DeleteFunc(g.Members, func(m string) bool { return m == u.Name })
		}
	}
	for _, k := range u.AccessKeys {
		delete(a.keyOwner, k.ID)
	}
	for serial, d := range a.mfa {
		if d.User == u.Name {
			delete(a.mfa, serial)
		}
	}
	delete(a.users, key(u.Name))
}

// DeleteUser removes a user and everything attached to it without HTTP, as an
// out-of-band change would.
func (a *Account) DeleteUser(name string) {
	a.mu.Lock()
	a.version++
	defer a.mu.Unlock()
	if u, ok := a.users[key(name)]; ok {
		a.removeUser(u)
	}
}

func (a *Account) policyExists(arn string) bool {
	if strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
		return true
	}
	_, ok := a.policies[arn]
	return ok
}
