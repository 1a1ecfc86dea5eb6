package iamtest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Account states of AWS Organizations (the Account's State field).
const (
	OrgAccountActive            = "ACTIVE"
	OrgAccountSuspended         = "SUSPENDED"
	OrgAccountPendingClosure    = "PENDING_CLOSURE"
	OrgAccountClosed            = "CLOSED"
	OrgAccountPendingActivation = "PENDING_ACTIVATION"
)

// OrgAccount is one member account of an [Organization], as seeded.
type OrgAccount struct {
	// ID is the 12-digit account ID. The account's IAM state is
	// [Server.Account] of the same ID.
	ID    string
	Name  string
	Email string
	// OU is the slash-separated path of organizational unit names from the
	// root ("Workloads/Prod"); empty for an account directly under the root.
	// Missing OUs are created.
	OU string
	// State is one of the OrgAccount* states; empty means ACTIVE.
	State string
	Tags  map[string]string
	// Joined is when the account joined; zero means the server's clock.
	Joined time.Time
}

// Organization is an AWS Organization served by the fake's Organizations
// endpoint. Create it with [Server.CreateOrganization]; it is safe for
// concurrent use.
type Organization struct {
	srv        *Server
	id         string
	management string
	rootID     string

	mu        sync.Mutex
	accounts  []*orgMember // in the order they joined, as ListAccounts returns them
	ous       map[string]*orgUnit
	ouByPath  map[string]string // "Workloads/Prod" → OU ID
	delegated map[string]bool
	tags      map[string]map[string]string // resource ID → tags
	seq       int
}

type orgMember struct {
	OrgAccount
	parent string
	method string
}

type orgUnit struct {
	id, name, parent, path string
}

// orgRegistry is the Organizations part of a [Server]: which organization
// each account belongs to. It has its own lock, so Organizations requests
// never wait on IAM's state.
type orgRegistry struct {
	mu    sync.Mutex
	byAcc map[string]*Organization
	count int
}

// CreateOrganization creates an organization whose management account is
// managementAccount (a member of it, joined by creation, under the root).
// An account can belong to one organization only.
func (s *Server) CreateOrganization(managementAccount string) *Organization {
	s.Account(managementAccount)
	s.orgs.mu.Lock()
	defer s.orgs.mu.Unlock()
	if s.orgs.byAcc == nil {
		s.orgs.byAcc = map[string]*Organization{}
	}
	if _, ok := s.orgs.byAcc[managementAccount]; ok {
		s.fatalf("account %s already belongs to an organization", managementAccount)
	}
	s.orgs.count++
	n := s.orgs.count
	o := &Organization{
		srv:        s,
		id:         fmt.Sprintf("o-%010d", n),
		management: managementAccount,
		rootID:     fmt.Sprintf("r-%04d", n),
		ous:        map[string]*orgUnit{},
		ouByPath:   map[string]string{"": ""},
		delegated:  map[string]bool{},
		tags:       map[string]map[string]string{},
	}
	o.ouByPath[""] = o.rootID
	o.accounts = append(o.accounts, &orgMember{
		OrgAccount: OrgAccount{ID: managementAccount, Name: "management", Email: "aws+management@example.com", State: OrgAccountActive, Joined: s.now()},
		parent:     o.rootID,
		method:     "CREATED",
	})
	s.orgs.byAcc[managementAccount] = o
	return o
}

// ID is the organization's ID (o-…).
func (o *Organization) ID() string { return o.id }

// RootID is the ID of the organization's root (r-…).
func (o *Organization) RootID() string { return o.rootID }

// AddAccount adds a member account (invited), creating its OU path.
func (o *Organization) AddAccount(a OrgAccount) {
	o.srv.Account(a.ID)
	if a.State == "" {
		a.State = OrgAccountActive
	}
	if a.Joined.IsZero() {
		a.Joined = o.srv.now()
	}
	if a.Email == "" {
		a.Email = fmt.Sprintf("aws+%s@example.com", a.ID)
	}
	a.Tags = maps.Clone(a.Tags)
	reg := &o.srv.orgs
	reg.mu.Lock()
	if _, ok := reg.byAcc[a.ID]; ok {
		reg.mu.Unlock()
		o.srv.fatalf("account %s already belongs to an organization", a.ID)
		return
	}
	reg.byAcc[a.ID] = o
	reg.mu.Unlock()

	o.mu.Lock()
	defer o.mu.Unlock()
	parent := o.ensureOU(a.OU)
	o.accounts = append(o.accounts, &orgMember{OrgAccount: a, parent: parent, method: "INVITED"})
	if len(a.Tags) > 0 {
		o.tags[a.ID] = a.Tags
	}
}

// SetAccountState changes a member account's state (for example to
// SUSPENDED).
func (o *Organization) SetAccountState(id, state string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, m := range o.accounts {
		if m.ID == id {
			m.State = state
			return
		}
	}
	o.srv.fatalf("account %s is not in organization %s", id, o.id)
}

// RegisterDelegatedAdministrator lets a member account call the read
// operations of Organizations, as a delegated administrator can.
func (o *Organization) RegisterDelegatedAdministrator(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.delegated[id] = true
}

// OUID returns the ID of the OU at path ("Workloads/Prod"), creating it and
// its parents when missing; "" is the root.
func (o *Organization) OUID(path string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ensureOU(path)
}

// TagOU sets tags on the OU at path, creating it when missing.
func (o *Organization) TagOU(path string, tags map[string]string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	id := o.ensureOU(path)
	if o.tags[id] == nil {
		o.tags[id] = map[string]string{}
	}
	maps.Copy(o.tags[id], tags)
}

// ensureOU creates the OUs of path as needed, under o.mu.
func (o *Organization) ensureOU(path string) string {
	path = strings.Trim(path, "/")
	if id, ok := o.ouByPath[path]; ok {
		return id
	}
	parentPath, name := "", path
	if i := strings.LastIndex(path, "/"); i >= 0 {
		parentPath, name = path[:i], path[i+1:]
	}
	parent := o.ensureOU(parentPath)
	o.seq++
	id := fmt.Sprintf("ou-%s-%08d", strings.TrimPrefix(o.rootID, "r-"), o.seq)
	o.ous[id] = &orgUnit{id: id, name: name, parent: parent, path: path}
	o.ouByPath[path] = id
	return id
}

// member finds a member account by ID, under o.mu.
func (o *Organization) member(id string) *orgMember {
	i := slices.IndexFunc(o.accounts, func(m *orgMember) bool { return m.ID == id })
	if i < 0 {
		return nil
	}
	return o.accounts[i]
}

func (o *Organization) accountARN(id string) string {
	return fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", o.management, o.id, id)
}

func (o *Organization) ouARN(id string) string {
	return fmt.Sprintf("arn:aws:organizations::%s:ou/%s/%s", o.management, o.id, id)
}

// legacyStatus is the retired Status field derived from State, as
// Organizations reports both while Status lasts.
func legacyStatus(state string) string {
	switch state {
	case OrgAccountSuspended, OrgAccountClosed:
		return OrgAccountSuspended
	case OrgAccountPendingClosure:
		return OrgAccountPendingClosure
	}
	return OrgAccountActive
}
