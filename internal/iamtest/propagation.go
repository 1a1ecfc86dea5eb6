package iamtest

import (
	"time"
)

// IAM is eventually consistent: AWS documents that a change "may not be
// immediately visible" everywhere, and a user or group just created can be
// answered NoSuchEntity by the calls that name it for a few seconds.
// WithPropagationDelay models that: a user or group created through the API
// stays invisible to every call that names it (AddUserToGroup, TagUser,
// CreateLoginProfile, GetUser, ...) for the delay, measured on the server's
// clock (WithClock). Listings (ListUsers, GetAccountAuthorizationDetails)
// show it at once, and a second CreateUser of the same name still answers
// EntityAlreadyExists. Seeded entities are visible at once.

// WithPropagationDelay makes users and groups created through the API
// invisible, by name, for d after their creation.
func WithPropagationDelay(d time.Duration) Option {
	return func(s *Server) { s.propagation = d }
}

// SetPropagationDelay changes the propagation delay at runtime; entities
// created before keep the delay they were created with.
func (s *Server) SetPropagationDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.propagation = d
}

// propagationDelay is the current delay, under the server's lock.
func (s *Server) propagationDelay() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.propagation
}

// created records that the entity (kind "user" or "group", lower-case
// name) was created now, so named lookups miss it until the delay has
// passed. Called under the account's lock.
func (a *Account) created(kind, name string) {
	d := a.srv.propagationDelay()
	if d <= 0 {
		return
	}
	if a.visibleAt == nil {
		a.visibleAt = map[string]time.Time{}
	}
	a.visibleAt[kind+"/"+name] = a.srv.clock().Add(d)
}

// propagating reports whether the entity is still invisible to named
// lookups. Called under the account's lock.
func (a *Account) propagating(kind, name string) bool {
	at, ok := a.visibleAt[kind+"/"+name]
	if !ok {
		return false
	}
	if a.srv.clock().Before(at) {
		return true
	}
	delete(a.visibleAt, kind+"/"+name)
	return false
}
