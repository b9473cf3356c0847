# shellcheck shell=bash
# Sourced by tests/lab/dns/zones.sh: the SPF cases of check_mail_domain (RFC 7208), names in
# the parent zone. Lab addresses that a policy authorizes: 127.0.0.20 (ip4), 127.0.0.21
# (through an include); 192.0.2.x (TEST-NET-1) are the include targets of the limit cases.

# shellcheck disable=SC2034 # each becomes DNSLAB_DOMAIN_* in dnslab.env
{
  DOM_SPF_GOOD=spf-good.$PARENT          # ip4:127.0.0.20, include (ip4:127.0.0.21), a, -all
  DOM_SPF_REJECT=spf-reject.$PARENT      # exactly "v=spf1 -all" and a null MX: sends no mail
  DOM_SPF_9=spf-9.$PARENT                # 9 DNS lookups: within the limit
  DOM_SPF_10=spf-10.$PARENT              # 10 DNS lookups: exactly the limit
  DOM_SPF_11=spf-11.$PARENT              # 11 DNS lookups: permerror (RFC 7208 section 4.6.4)
  DOM_SPF_VOID=spf-void.$PARENT          # 3 void lookups (limit 2), then ip4:127.0.0.20
  DOM_SPF_LOOP=spf-loop.$PARENT          # includes a record that includes it back
  DOM_SPF_TWO=spf-two.$PARENT            # two v=spf1 records: permerror (section 4.5)
  DOM_SPF_REDIRECT_MISSING=spf-redirect-missing.$PARENT # redirect= to a name without SPF
  DOM_SPF_SPLIT=spf-split.$PARENT        # TXT split mid-address: "v=spf1 ip4:127.0" ".0.20 -all"
  DOM_SPF_SPLIT_BAD=spf-split-bad.$PARENT # split where a space was meant: syntax error
  DOM_SPF_GARBAGE=spf-garbage.$PARENT    # v=spf1 followed by control bytes and a broken macro
  DOM_SPF_PLUS_ALL=spf-plus-all.$PARENT  # +all: every address passes
  DOM_SPF_MX11=spf-mx11.$PARENT          # mx with 11 MX hosts (10 may be looked up)
  DOM_SPF_MACRO=spf-macro.$PARENT        # exists: with a macro expanding to 1000 labels
  DOM_SPF_MANYTXT=spf-manytxt.$PARENT    # 300 TXT records, one of them SPF
  DOM_SPF_PTR=spf-ptr.$PARENT            # the deprecated ptr mechanism
}

# A TXT record of `text`, in strings of at most 255 bytes (RFC 1035 section 3.3.14).
spf_txt() { # name text
  local name=$1 text=$2 out='' i
  for ((i = 0; i < ${#text}; i += 255)); do out+=" \"${text:i:255}\""; done
  printf '%s. TXT%s\n' "$name" "$out"
}

# `name` with `n` includes, each of a name whose record is one ip4 of 192.0.2.K.
spf_includes() { # name n
  local d=$1 n=$2 i record="v=spf1"
  for ((i = 1; i <= n; i++)); do
    record+=" include:i$i.$d"
    spf_txt "i$i.$d" "v=spf1 ip4:192.0.2.$i -all"
  done
  spf_txt "$d" "$record -all"
}

spf_names() {
  local d i record
  d=$DOM_SPF_GOOD
  spf_txt "$d" "v=spf1 ip4:127.0.0.20 include:_spf.$d a:mail.$d -all"
  spf_txt "_spf.$d" "v=spf1 ip4:127.0.0.21 ~all"
  printf 'mail.%s. A 127.0.0.22\n' "$d"
  # RFC 7505 section 4.2: a domain that accepts no mail and sends none.
  printf '%s. MX 0 .\n' "$DOM_SPF_REJECT"
  spf_txt "$DOM_SPF_REJECT" "v=spf1 -all"
  spf_includes "$DOM_SPF_9" 9
  spf_includes "$DOM_SPF_10" 10
  spf_includes "$DOM_SPF_11" 11
  d=$DOM_SPF_VOID
  spf_txt "$d" "v=spf1 a:gone1.$d mx:gone2.$d exists:gone3.$d ip4:127.0.0.20 -all"
  d=$DOM_SPF_LOOP
  spf_txt "$d" "v=spf1 include:loop.$d -all"
  spf_txt "loop.$d" "v=spf1 ip4:192.0.2.1 include:$d -all"
  spf_txt "$DOM_SPF_TWO" "v=spf1 ip4:127.0.0.20 -all"
  spf_txt "$DOM_SPF_TWO" "v=spf1 ip4:127.0.0.21 -all"
  spf_txt "$DOM_SPF_REDIRECT_MISSING" "v=spf1 redirect=_spf.$DOM_SPF_REDIRECT_MISSING"
  # Section 3.3: the strings are joined without anything between them.
  printf '%s. TXT "v=spf1 ip4:127.0" ".0.20 -all"\n' "$DOM_SPF_SPLIT"
  printf '%s. TXT "v=spf1 ip4:127.0.0.20" "include:_spf.%s -all"\n' "$DOM_SPF_SPLIT_BAD" \
    "$DOM_SPF_GOOD"
  printf '%s. TXT "v=spf1 \\001\\002\\255\\254 ip4:127.0.0.20 %%{x -all\\000"\n' "$DOM_SPF_GARBAGE"
  printf '%s. TXT "\\000\\255\\200 binary"\n' "$DOM_SPF_GARBAGE"
  spf_txt "$DOM_SPF_PLUS_ALL" "v=spf1 +all"
  d=$DOM_SPF_MX11
  spf_txt "$d" "v=spf1 mx -all"
  for ((i = 1; i <= 11; i++)); do
    printf '%s. MX %d mx%d.%s.\nmx%d.%s. A 127.0.1.%d\n' "$d" "$i" "$i" "$d" "$i" "$d" "$i"
  done
  # %{d1} is the last label of the domain; 1000 of them are cut to 253 octets from the left
  # (section 7.3), leaving a name in this zone that does not exist.
  d=$DOM_SPF_MACRO
  record="v=spf1 exists:"
  for ((i = 0; i < 1000; i++)); do record+="%{d1}."; done
  spf_txt "$d" "${record}x.$d ip4:127.0.0.20 -all"
  d=$DOM_SPF_MANYTXT
  for ((i = 1; i < 300; i++)); do printf '%s. TXT "verification-%d=%040d"\n' "$d" "$i" "$i"; done
  spf_txt "$d" "v=spf1 ip4:127.0.0.20 -all"
  spf_txt "$DOM_SPF_PTR" "v=spf1 ptr -all"
}
