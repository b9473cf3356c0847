# Sieve script of junk@: every message goes to the Junk mailbox.
require ["fileinto"];
fileinto "Junk";
