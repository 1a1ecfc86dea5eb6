// Package pgpkey is where roster reads an OpenPGP public key: the pgp_key a
// console user carries, which the initial password is encrypted to.
//
// One function, Parse, decides what a pgp_key is for every caller: manifest
// validation, the fingerprints plans show, and the encryption of the
// password at apply. A pgp_key is an armored public key block or base64 of
// the binary form; its first key is the key (the one plans show by
// fingerprint and passwords are encrypted to); a private key is refused.
package pgpkey
