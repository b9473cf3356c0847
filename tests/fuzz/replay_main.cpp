// fuzz_replay: every fuzz target without libFuzzer, for the test command's GCC build.
//
//   fuzz_replay TARGET CORPUS_DIR [--dict FILE] [--seconds S] [--runs N] [--seed N]
//                                 [--max-len BYTES] [--timeout S]
//
// Runs each file of CORPUS_DIR through TARGET, then random mutations of them (the kinds
// libFuzzer makes: bytes changed, inserted, erased, repeated, copied, dictionary words,
// two inputs crossed) until --seconds or --runs is spent. Not coverage-guided: it is the
// regression guard for the kept corpus and a cheap search around it; the long runs are
// libFuzzer's (scripts/fuzz.sh). An input that crashes (a sanitizer report, an uncaught
// exception, a signal) or runs past --timeout is written to fuzz-TARGET-failure.bin in
// the working directory and shown in hex, and the program fails.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "fuzz_target.hpp"

#if defined(__has_include)
#if __has_include(<sanitizer/common_interface_defs.h>) && \
    (defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__))
#include <sanitizer/common_interface_defs.h>
#define MAILPROBE_HAVE_SANITIZER_CALLBACK 1
#endif
#endif

namespace {

using Bytes = std::vector<std::uint8_t>;

// What is running now, for the handlers that report a failure. Never destroyed: a leak is
// reported after exit has destroyed ordinary globals.
Bytes& current_input = *new Bytes;
std::string& failure_path = *new std::string;
std::string& current_origin = *new std::string;

void report_failure(const char* why) {
  int fd = ::open(failure_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    auto written = ::write(fd, current_input.data(), current_input.size());
    static_cast<void>(written);
    ::close(fd);
  }
  std::fprintf(stderr, "\nfuzz_replay: %s on %s (%zu bytes), written to %s\n", why,
               current_origin.c_str(), current_input.size(), failure_path.c_str());
  std::fprintf(stderr, "fuzz_replay: input in hex:");
  for (std::size_t i = 0; i < current_input.size() && i < 1024; ++i) {
    if (i % 32 == 0) std::fprintf(stderr, "\n  ");
    std::fprintf(stderr, "%02x", current_input[i]);
  }
  std::fprintf(stderr, "%s\n", current_input.size() > 1024 ? "\n  ..." : "");
}

void on_signal(int signal) {
  report_failure(signal == SIGALRM ? "timeout" : strsignal(signal));
  ::_exit(1);
}

struct Options {
  std::string target;
  std::string corpus;
  std::string dictionary;
  double seconds = 5;
  long long runs = -1;  // unbounded: --seconds decides
  std::optional<unsigned long long> seed;
  std::size_t max_len = 4096;
  unsigned timeout = 10;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr,
               "fuzz_replay: %s\nusage: fuzz_replay TARGET CORPUS_DIR [--dict FILE] "
               "[--seconds S] [--runs N] [--seed N] [--max-len BYTES] [--timeout S]\n",
               message.c_str());
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options options;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(arg + " needs a value");
      return argv[++i];
    };
    auto number = [&](const std::string& text) -> double {
      char* end = nullptr;
      double parsed = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || parsed < 0)
        usage_error(arg + ": '" + text + "' is not a number");
      return parsed;
    };
    if (arg == "--dict") {
      options.dictionary = value();
    } else if (arg == "--seconds") {
      options.seconds = number(value());
    } else if (arg == "--runs") {
      options.runs = static_cast<long long>(number(value()));
    } else if (arg == "--seed") {
      options.seed = static_cast<unsigned long long>(number(value()));
    } else if (arg == "--max-len") {
      options.max_len = static_cast<std::size_t>(number(value()));
    } else if (arg == "--timeout") {
      options.timeout = static_cast<unsigned>(number(value()));
    } else if (arg.starts_with("--")) {
      usage_error("unknown option " + arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2) usage_error("a target and a corpus directory are needed");
  options.target = positional[0];
  options.corpus = positional[1];
  return options;
}

Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A libFuzzer dictionary: one "word" per line, optionally name="word", with \\, \" and
// \xNN escapes; '#' starts a comment.
std::vector<Bytes> read_dictionary(const std::string& path) {
  std::vector<Bytes> words;
  if (path.empty()) return words;
  std::ifstream in(path);
  if (!in) usage_error("cannot read the dictionary " + path);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    auto open = line.find('"');
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    auto close = line.rfind('"');
    if (open == std::string::npos || close == open) {
      usage_error(path + ":" + std::to_string(number) + ": a word must be in double quotes");
    }
    Bytes word;
    for (auto i = open + 1; i < close; ++i) {
      if (line[i] == '\\' && i + 1 < close) {
        char next = line[++i];
        if (next == 'x' && i + 2 < close) {
          word.push_back(static_cast<std::uint8_t>(std::stoi(line.substr(i + 1, 2), nullptr, 16)));
          i += 2;
        } else {
          word.push_back(static_cast<std::uint8_t>(next));
        }
      } else {
        word.push_back(static_cast<std::uint8_t>(line[i]));
      }
    }
    words.push_back(std::move(word));
  }
  return words;
}

class Mutator {
 public:
  Mutator(unsigned long long seed, const std::vector<Bytes>& corpus,
          const std::vector<Bytes>& dictionary, std::size_t max_len)
      : random_(seed), corpus_(corpus), dictionary_(dictionary), max_len_(max_len) {}

  Bytes next() {
    Bytes input = corpus_.empty() ? Bytes{} : corpus_[below(corpus_.size())];
    auto rounds = 1 + below(4);
    for (std::size_t i = 0; i < rounds; ++i)
      mutate(input);
    if (input.size() > max_len_) input.resize(max_len_);
    return input;
  }

 private:
  std::size_t below(std::size_t bound) {
    return bound == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, bound - 1)(random_);
  }
  std::uint8_t any_byte() {
    // Mostly the bytes that matter to line protocols, sometimes any byte.
    static constexpr std::string_view special = "\r\n \t\"\\{}()[]<>:;=,.-+*%0123456789\x00\xff";
    if (below(3) == 0) return static_cast<std::uint8_t>(special[below(special.size())]);
    return static_cast<std::uint8_t>(below(256));
  }

  void mutate(Bytes& input) {
    switch (below(9)) {
      case 0:  // change a byte
        if (!input.empty()) input[below(input.size())] = any_byte();
        break;
      case 1:  // flip a bit
        if (!input.empty()) input[below(input.size())] ^= static_cast<std::uint8_t>(1u << below(8));
        break;
      case 2:  // insert a byte
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(below(input.size() + 1)),
                     any_byte());
        break;
      case 3: {  // erase a range
        if (input.empty()) break;
        auto at = below(input.size());
        auto count = 1 + below(std::min<std::size_t>(input.size() - at, 16));
        input.erase(input.begin() + static_cast<std::ptrdiff_t>(at),
                    input.begin() + static_cast<std::ptrdiff_t>(at + count));
        break;
      }
      case 4: {  // repeat a byte many times (long lines, huge numbers)
        auto at = below(input.size() + 1);
        auto byte = input.empty() ? any_byte() : input[below(input.size())];
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(at), 1 + below(600), byte);
        break;
      }
      case 5: {  // copy a range elsewhere
        if (input.empty()) break;
        auto from = below(input.size());
        auto count = 1 + below(std::min<std::size_t>(input.size() - from, 64));
        Bytes piece(input.begin() + static_cast<std::ptrdiff_t>(from),
                    input.begin() + static_cast<std::ptrdiff_t>(from + count));
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(below(input.size() + 1)),
                     piece.begin(), piece.end());
        break;
      }
      case 6: {  // a dictionary word
        if (dictionary_.empty()) break;
        const auto& word = dictionary_[below(dictionary_.size())];
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(below(input.size() + 1)),
                     word.begin(), word.end());
        break;
      }
      case 7: {  // cross with another input: this one's head, the other's tail
        if (corpus_.empty()) break;
        const auto& other = corpus_[below(corpus_.size())];
        auto keep = below(input.size() + 1);
        auto from = below(other.size() + 1);
        input.resize(keep);
        input.insert(input.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
        break;
      }
      default: {  // a digit run replaced by an extreme number
        static const std::vector<std::string> numbers = {"0",
                                                         "-1",
                                                         "4294967295",
                                                         "4294967296",
                                                         "18446744073709551616",
                                                         "999999999999",
                                                         "2147483648",
                                                         "65536"};
        auto digit = std::find_if(input.begin(), input.end(),
                                  [](std::uint8_t c) { return c >= '0' && c <= '9'; });
        if (digit == input.end()) break;
        auto end =
            std::find_if(digit, input.end(), [](std::uint8_t c) { return c < '0' || c > '9'; });
        const auto& number = numbers[below(numbers.size())];
        auto at = input.erase(digit, end);
        input.insert(at, number.begin(), number.end());
        break;
      }
    }
  }

  std::mt19937_64 random_;
  const std::vector<Bytes>& corpus_;
  const std::vector<Bytes>& dictionary_;
  std::size_t max_len_;
};

// Runs one input; the first that takes longer than a second is kept and named (as
// libFuzzer's -report_slow_units does): slow is not wrong, but worth a look.
void run_one(mailprobe::fuzz::TargetFunction target, Bytes input, std::string origin,
             unsigned timeout) {
  static bool slow_reported = false;
  current_input = std::move(input);
  current_origin = std::move(origin);
  auto start = std::chrono::steady_clock::now();
  ::alarm(timeout);
  target(current_input.data(), current_input.size());
  ::alarm(0);
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (seconds > 1 && !slow_reported) {
    slow_reported = true;
    auto path =
        failure_path.substr(0, failure_path.size() - std::string_view("failure.bin").size()) +
        "slow.bin";
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(current_input.data()),
               static_cast<std::streamsize>(current_input.size()));
    std::fprintf(stderr, "fuzz_replay: %s took %.1f s, written to %s\n", current_origin.c_str(),
                 seconds, path.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse_options(argc, argv);
  const auto& targets = mailprobe::fuzz::registered_targets();
  auto found = targets.find(options.target);
  if (found == targets.end()) {
    std::string known;
    for (const auto& [name, function] : targets)
      known += (known.empty() ? "" : ", ") + name;
    usage_error("no target '" + options.target + "' (known: " + known + ")");
  }
  std::error_code error;
  if (!std::filesystem::is_directory(options.corpus, error)) {
    usage_error("the corpus " + options.corpus + " is not a directory");
  }

  failure_path = "fuzz-" + options.target + "-failure.bin";
  for (int number : {SIGALRM, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT})
    std::signal(number, on_signal);
  std::set_terminate([] {
    report_failure("an uncaught exception");
    std::_Exit(1);
  });
#ifdef MAILPROBE_HAVE_SANITIZER_CALLBACK
  __sanitizer_set_death_callback([] { report_failure("a sanitizer report"); });
#endif

  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(options.corpus)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Bytes> corpus;
  for (const auto& file : files) {
    corpus.push_back(read_file(file));
    options.max_len = std::max(options.max_len, corpus.back().size());
    run_one(found->second, corpus.back(), file.string(), options.timeout);
  }
  auto dictionary = read_dictionary(options.dictionary);

  auto seed = options.seed.value_or(
      static_cast<unsigned long long>(std::chrono::system_clock::now().time_since_epoch().count()));
  Mutator mutator(seed, corpus, dictionary, options.max_len);
  auto start = std::chrono::steady_clock::now();
  auto end = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(options.seconds));
  long long runs = 0;
  while ((options.runs < 0 || runs < options.runs) && std::chrono::steady_clock::now() < end) {
    ++runs;
    run_one(found->second, mutator.next(),
            "mutation " + std::to_string(runs) + " of seed " + std::to_string(seed),
            options.timeout);
  }
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("fuzz_replay %s: %zu kept inputs, %lld mutations in %.1f s (seed %llu)\n",
              options.target.c_str(), corpus.size(), runs, elapsed, seed);
  return 0;
}
