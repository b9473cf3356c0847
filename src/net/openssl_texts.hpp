#pragma once
// OpenSSL's error texts, loaded when an error is to be told rather than at every start.
//
// The first time a thread touches OpenSSL's error queue (every TLS handshake does), OpenSSL
// loads the text of every reason code of libcrypto: about 2,000 strings put in a hash
// table, a million instructions and 17 pages, 5% of a one-shot TLS check (bench/README.md).
// A check whose handshake succeeds never shows one of them. A one-shot check therefore
// asks OpenSSL not to (defer_openssl_error_texts), and the functions that turn an error
// code into text are wrapped at link time (-Wl,--wrap, net/CMakeLists.txt) so that they
// load the texts first: no caller can see a code without its text by forgetting a call.
//
// What OpenSSL offers for the late load is one loader per library of libcrypto; libssl's
// texts are loaded as usual (the first SSL_CTX does it, they are 15% of the cost). The
// few libraries without a public loader (provider, decoder, encoder, HTTP, CMP, CRMF, ESS,
// property) still get their library's name ("error:1E08010C:DECODER routines::reason(268)"),
// which is why only checks that cannot meet them defer: a login with OAuth decodes keys.

namespace mailprobe::net {

// Before the first OpenSSL call of the process, and only in a process that makes one TLS
// connection to a mail server: from here on, libcrypto's error texts are loaded the first
// time one is asked for. Calling it after OpenSSL has started does nothing.
void defer_openssl_error_texts();

// True once defer_openssl_error_texts() took effect and no text has been asked for since
// (for tests).
bool openssl_error_texts_deferred();

}  // namespace mailprobe::net
