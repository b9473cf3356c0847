#pragma once
// Which OpenSSL library context the client TLS contexts are made in.
//
// OpenSSL 3.0 decodes the public key of every certificate a server sends by building a
// decoder chain (OSSL_DECODER_CTX_new_for_pkey in d2i_X509), which walks every decoder
// and the whole method store of the library context: 37% of the daemon's instructions
// per STARTTLS probe, more than the handshake's cryptography (openssl/openssl#17950).
// The lean library context has one provider that hands out OpenSSL's default provider's
// implementations (called with the default provider's own context) except that its
// decoders are only those a certificate's key needs (SubjectPublicKeyInfo in DER) and its
// ciphers only those of TLS cipher suites. A verified handshake then costs 29% fewer
// instructions (callgrind: 4.3 million instead of 6.1 for one with the lab's Dovecot).
//
// It costs a few million instructions once (a second library context fills its method
// store), so it pays from the fourth handshake on: the daemon asks for it, a plugin that
// makes one handshake keeps OpenSSL's default context.

#include <openssl/types.h>

namespace mailprobe::net {

// From now on, new TlsClientContexts use the lean library context, or (false) OpenSSL's
// default one again. The lean one is used only where it can be made: where OpenSSL's
// configuration activates no provider but the default one (never bypassing FIPS).
void prefer_lean_tls_library(bool lean = true);

// The library context for a new client TLS context: the lean one when preferred and
// available, else nullptr (OpenSSL's default).
OSSL_LIB_CTX* client_tls_library();

}  // namespace mailprobe::net
