package apply

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

// memIAM is an in-memory IAM account that implements Writer the way the AWS
// writer does: each operation changes a *state.Account as IAM would, "already
// exists" and "not found" count as done where the goal is reached, and
// DeleteUser and DeleteGroup refuse while anything is attached. Because the
// state is the diff's own input type, a test can plan against it, apply,
// and plan again.
type memIAM struct {
	mu   sync.Mutex
	acct *state.Account
	// log holds every operation written, in order, with its error.
	log []loggedOp
	// fail, when set, decides an error for an operation before it applies.
	fail func(op plan.Op) error
	// before, when set, runs (without the lock) as each write starts.
	before func(op plan.Op)
	// inFlight and maxInFlight measure concurrency.
	inFlight, maxInFlight int
}

type loggedOp struct {
	Op  plan.Op
	Err string
}

var errNoSuchEntity = errors.New("NoSuchEntity")

func newMemIAM(acct *state.Account) *memIAM {
	if acct == nil {
		acct = &state.Account{}
	}
	if acct.Users == nil {
		acct.Users = map[string]*state.User{}
	}
	if acct.Groups == nil {
		acct.Groups = map[string]*state.Group{}
	}
	return &memIAM{acct: acct}
}

var _ Writer = (*memIAM)(nil)

func (m *memIAM) Write(ctx context.Context, op plan.Op) (Outcome, error) {
	m.mu.Lock()
	m.inFlight++
	m.maxInFlight = max(m.maxInFlight, m.inFlight)
	before := m.before
	m.mu.Unlock()
	if before != nil {
		before(op)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inFlight--
	var (
		out Outcome
		err error
	)
	if m.fail != nil {
		err = m.fail(op)
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		out, err = m.apply(op)
	}
	l := loggedOp{Op: op}
	if err != nil {
		l.Err = err.Error()
	}
	m.log = append(m.log, l)
	return out, err
}

// written returns the operations that succeeded, in order.
func (m *memIAM) written() []plan.Op {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []plan.Op
	for _, l := range m.log {
		if l.Err == "" {
			out = append(out, l.Op)
		}
	}
	return out
}

func (m *memIAM) calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.log)
}

// snapshot returns a deep copy of the account for a fresh plan.
func (m *memIAM) snapshot() *state.Account {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.acct.Clone()
}

func addSorted(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	s = append(s, v)
	slices.Sort(s)
	return s
}

func remove(s []string, v string) ([]string, bool) {
	i := slices.Index(s, v)
	if i < 0 {
		return s, false
	}
	s = slices.Delete(s, i, i+1)
	if len(s) == 0 {
		s = nil
	}
	return s, true
}

func (m *memIAM) user(name string) (*state.User, error) {
	u := m.acct.Users[name]
	if u == nil {
		return nil, fmt.Errorf("%w: user %s", errNoSuchEntity, name)
	}
	return u, nil
}

func (m *memIAM) group(name string) (*state.Group, error) {
	g := m.acct.Groups[name]
	if g == nil {
		return nil, fmt.Errorf("%w: group %s", errNoSuchEntity, name)
	}
	return g, nil
}

// apply changes the account; the caller holds m.mu.
func (m *memIAM) apply(op plan.Op) (Outcome, error) {
	done := Outcome{AlreadyDone: true}
	switch op.Type {
	case plan.OpCreateUser:
		if m.acct.Users[op.User] != nil {
			return done, nil
		}
		m.acct.Users[op.User] = &state.User{
			Name: op.User, Path: op.Path, ARN: "arn:aws:iam::" + m.acct.AccountID + ":user" + op.Path + op.User,
			Tags: maps.Clone(op.Tags), PermissionsBoundary: op.PolicyARN,
			Details: state.LoginProfile | state.Credentials,
		}
		return Outcome{}, nil
	case plan.OpDeleteUser:
		u := m.acct.Users[op.User]
		if u == nil {
			return done, nil
		}
		if len(u.Groups)+len(u.ManagedPolicies)+len(u.InlinePolicies)+len(u.AccessKeys)+len(u.MFADevices)+
			len(u.SSHPublicKeys)+len(u.SigningCertificates)+len(u.ServiceSpecificCredentials) > 0 || u.LoginProfile {
			return Outcome{}, fmt.Errorf("DeleteConflict: user %s still has attachments", op.User)
		}
		delete(m.acct.Users, op.User)
		return Outcome{}, nil
	case plan.OpCreateGroup:
		if m.acct.Groups[op.Group] != nil {
			return done, nil
		}
		m.acct.Groups[op.Group] = &state.Group{Name: op.Group, Path: op.Path}
		return Outcome{}, nil
	case plan.OpDeleteGroup:
		g := m.acct.Groups[op.Group]
		if g == nil {
			return done, nil
		}
		if len(g.Members)+len(g.ManagedPolicies)+len(g.InlinePolicies) > 0 {
			return Outcome{}, fmt.Errorf("DeleteConflict: group %s still has members or policies", op.Group)
		}
		delete(m.acct.Groups, op.Group)
		return Outcome{}, nil
	case plan.OpDeleteVirtualMFADevice:
		return Outcome{}, nil
	default:
		// Every other operation acts on an existing user or group, below.
	}

	if op.User != "" {
		u, err := m.user(op.User)
		if err != nil {
			if isRemoval(op.Type) {
				return done, nil
			}
			return Outcome{}, err
		}
		return m.applyUser(u, op)
	}
	g, err := m.group(op.Group)
	if err != nil {
		return Outcome{}, err
	}
	return m.applyGroup(g, op)
}

func isRemoval(t plan.OpType) bool {
	return strings.HasPrefix(string(t), "Delete") || strings.HasPrefix(string(t), "Detach") ||
		strings.HasPrefix(string(t), "Remove") || strings.HasPrefix(string(t), "Deactivate") || t == plan.OpUntagUser
}

func (m *memIAM) applyUser(u *state.User, op plan.Op) (Outcome, error) {
	var ok bool
	switch op.Type {
	case plan.OpUpdateUser:
		u.Path = op.Path
	case plan.OpTagUser:
		if u.Tags == nil {
			u.Tags = map[string]string{}
		}
		maps.Copy(u.Tags, op.Tags)
	case plan.OpUntagUser:
		for _, k := range op.TagKeys {
			delete(u.Tags, k)
		}
	case plan.OpAddUserToGroup:
		g, err := m.group(op.Group)
		if err != nil {
			return Outcome{}, err
		}
		u.Groups = addSorted(u.Groups, op.Group)
		g.Members = addSorted(g.Members, op.User)
	case plan.OpRemoveUserFromGroup:
		u.Groups, ok = remove(u.Groups, op.Group)
		if g := m.acct.Groups[op.Group]; g != nil {
			g.Members, _ = remove(g.Members, op.User)
		}
	case plan.OpAttachUserPolicy:
		u.ManagedPolicies = addSorted(u.ManagedPolicies, op.PolicyARN)
	case plan.OpDetachUserPolicy:
		u.ManagedPolicies, ok = remove(u.ManagedPolicies, op.PolicyARN)
	case plan.OpPutUserPolicy:
		if u.InlinePolicies == nil {
			u.InlinePolicies = map[string]string{}
		}
		u.InlinePolicies[op.PolicyName] = op.PolicyDocument
	case plan.OpDeleteUserPolicy:
		_, ok = u.InlinePolicies[op.PolicyName]
		delete(u.InlinePolicies, op.PolicyName)
		if len(u.InlinePolicies) == 0 {
			u.InlinePolicies = nil
		}
	case plan.OpPutUserPermissionsBoundary:
		u.PermissionsBoundary = op.PolicyARN
	case plan.OpDeleteUserPermissionsBoundary:
		u.PermissionsBoundary = ""
	case plan.OpCreateLoginProfile:
		if u.LoginProfile {
			return Outcome{AlreadyDone: true}, nil
		}
		u.LoginProfile = true
		return Outcome{EncryptedPassword: "-----BEGIN PGP MESSAGE-----\n\nfor " + u.Name + "\n-----END PGP MESSAGE-----\n"}, nil
	case plan.OpDeleteLoginProfile:
		ok = u.LoginProfile
		u.LoginProfile = false
	case plan.OpDeleteAccessKey:
		n := len(u.AccessKeys)
		u.AccessKeys = slices.DeleteFunc(u.AccessKeys, func(k state.AccessKey) bool { return k.ID == op.ID })
		ok = len(u.AccessKeys) < n
		if len(u.AccessKeys) == 0 {
			u.AccessKeys = nil
		}
	case plan.OpDeactivateMFADevice:
		u.MFADevices, ok = remove(u.MFADevices, op.ID)
	case plan.OpDeleteSSHPublicKey:
		u.SSHPublicKeys, ok = remove(u.SSHPublicKeys, op.ID)
	case plan.OpDeleteSigningCertificate:
		u.SigningCertificates, ok = remove(u.SigningCertificates, op.ID)
	case plan.OpDeleteServiceSpecificCredential:
		n := len(u.ServiceSpecificCredentials)
		u.ServiceSpecificCredentials = slices.DeleteFunc(u.ServiceSpecificCredentials, func(c state.ServiceCredential) bool { return c.ID == op.ID })
		ok = len(u.ServiceSpecificCredentials) < n
		if len(u.ServiceSpecificCredentials) == 0 {
			u.ServiceSpecificCredentials = nil
		}
	default:
		return Outcome{}, fmt.Errorf("unexpected user operation %s", op.Type)
	}
	if isRemoval(op.Type) && !ok && op.Type != plan.OpUntagUser {
		return Outcome{AlreadyDone: true}, nil
	}
	return Outcome{}, nil
}

func (m *memIAM) applyGroup(g *state.Group, op plan.Op) (Outcome, error) {
	switch op.Type {
	case plan.OpUpdateGroup:
		g.Path = op.Path
	case plan.OpAttachGroupPolicy:
		g.ManagedPolicies = addSorted(g.ManagedPolicies, op.PolicyARN)
	case plan.OpDetachGroupPolicy:
		g.ManagedPolicies, _ = remove(g.ManagedPolicies, op.PolicyARN)
	case plan.OpPutGroupPolicy:
		if g.InlinePolicies == nil {
			g.InlinePolicies = map[string]string{}
		}
		g.InlinePolicies[op.PolicyName] = op.PolicyDocument
	case plan.OpDeleteGroupPolicy:
		delete(g.InlinePolicies, op.PolicyName)
		if len(g.InlinePolicies) == 0 {
			g.InlinePolicies = nil
		}
	default:
		return Outcome{}, fmt.Errorf("unexpected group operation %s", op.Type)
	}
	return Outcome{}, nil
}
