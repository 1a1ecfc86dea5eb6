// Package keys decides the lifecycle of a service account's access key:
// create and deliver one, rotate it on a schedule, retire the old one. It is
// pure: [Evaluate] reads the live keys (IAM's ListAccessKeys), what the
// destination holds (a Secrets Manager secret's AWSCURRENT and AWSPREVIOUS
// versions) and a pending marker on the user, and returns the steps to take
// now, with reasons, and findings for keys roster did not make.
//
// All state lives in AWS: ages and the overlap are counted from the keys' own
// CreateDate, which key is delivered comes from the destination, and the
// pending marker (a user tag written before CreateAccessKey) tells a key
// whose delivery never happened, because the run stopped between creating
// and delivering it, from a key made by hand. A run that stops after any
// step is resumed by evaluating again: the steps converge on the same end
// state, never hold more than IAM's two keys, and never leave a service
// account that had an active delivered key without one.
package keys
