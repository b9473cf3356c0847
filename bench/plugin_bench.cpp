// Times mailprobe's plugins against monitoring-plugins' on the same lab in the same run:
// wall time and CPU time (user + system of the plugin process), median of many runs,
// interleaved so that both see the same machine. Prints a table and the ratios.
//
//   plugin_bench BIN_DIR LAB_ENV [RUNS]

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct Sample {
  double wall_ms;
  double cpu_ms;
  int exit_code;
};

Sample run_once(const std::vector<std::string>& argv, const std::vector<std::string>& env_extra) {
  // The extra variables replace inherited ones of the same name.
  std::vector<std::string> env = env_extra;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    auto name = entry.substr(0, entry.find('=') + 1);
    bool replaced = std::any_of(env_extra.begin(), env_extra.end(),
                                [&](const std::string& x) { return x.rfind(name, 0) == 0; });
    if (!replaced) env.push_back(entry);
  }
  std::vector<char*> env_ptrs;
  for (auto& e : env)
    env_ptrs.push_back(e.data());
  env_ptrs.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_ptrs;
  for (auto& a : args)
    arg_ptrs.push_back(a.data());
  arg_ptrs.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  if (posix_spawn(&pid, args[0].c_str(), &actions, nullptr, arg_ptrs.data(), env_ptrs.data()) !=
      0) {
    std::fprintf(stderr, "cannot run %s\n", args[0].c_str());
    std::exit(2);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  auto wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
  posix_spawn_file_actions_destroy(&actions);
  double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
               static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
  return {wall.count(), cpu, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  auto n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

struct Variant {
  std::string label;
  std::vector<std::string> argv;
  std::vector<std::string> env;
};

struct Case {
  std::string name;
  std::vector<Variant> variants;  // the first is monitoring-plugins
};

std::map<std::string, std::string> read_env(const std::string& path) {
  std::map<std::string, std::string> values;
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return values;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: plugin_bench BIN_DIR LAB_ENV [RUNS]\n");
    return 2;
  }
  std::string bin = argv[1];
  auto lab = read_env(argv[2]);
  int runs = argc > 3 ? std::atoi(argv[3]) : 41;
  std::string ref = "/usr/lib/nagios/plugins/";
  std::string host = "localhost";
  std::vector<std::string> trust{"SSL_CERT_FILE=" + lab["LAB_CA_FILE"]};

  auto three = [&](std::string name, std::string plugin, std::vector<std::string> args, bool tls) {
    Case c{std::move(name), {}};
    std::vector<std::string> ref_argv{ref + plugin};
    ref_argv.insert(ref_argv.end(), args.begin(), args.end());
    c.variants.push_back({"monitoring-plugins", ref_argv, {}});
    std::vector<std::string> ours{bin + "/" + plugin};
    ours.insert(ours.end(), args.begin(), args.end());
    if (tls) {
      auto insecure = ours;
      insecure.push_back("--insecure");
      c.variants.push_back({"mailprobe, verification off", insecure, {}});
      c.variants.push_back({"mailprobe, verified", ours, trust});
    } else {
      c.variants.push_back({"mailprobe", ours, {}});
    }
    return c;
  };
  std::vector<Case> cases{
      three("check_smtp (plain)", "check_smtp", {"-H", host, "-p", lab["LAB_SMTP_PORT"]}, false),
      three("check_smtp -S (STARTTLS)", "check_smtp",
            {"-H", host, "-p", lab["LAB_SMTP_PORT"], "-S"}, true),
      three("check_simap (implicit TLS)", "check_simap", {"-H", host, "-p", lab["LAB_IMAPS_PORT"]},
            true),
      three("check_pop (plain)", "check_pop", {"-H", host, "-p", lab["LAB_POP3_PORT"]}, false),
  };

  std::printf("%d runs per variant, interleaved; medians\n\n", runs);
  std::printf("%-28s %-30s %9s %9s %9s %9s\n", "check", "tool", "wall ms", "cpu ms", "wall x",
              "cpu x");
  for (const auto& c : cases) {
    std::vector<std::vector<double>> wall(c.variants.size()), cpu(c.variants.size());
    for (int i = 0; i < runs; ++i) {
      for (std::size_t v = 0; v < c.variants.size(); ++v) {
        // Alternate the order so neither tool always runs first.
        auto k = (i % 2 == 0) ? v : c.variants.size() - 1 - v;
        auto sample = run_once(c.variants[k].argv, c.variants[k].env);
        if (sample.exit_code != 0) {
          std::fprintf(stderr, "%s (%s) exited %d\n", c.name.c_str(), c.variants[k].label.c_str(),
                       sample.exit_code);
          return 1;
        }
        wall[k].push_back(sample.wall_ms);
        cpu[k].push_back(sample.cpu_ms);
      }
    }
    double ref_wall = median(wall[0]);
    double ref_cpu = median(cpu[0]);
    for (std::size_t v = 0; v < c.variants.size(); ++v) {
      double w = median(wall[v]);
      double u = median(cpu[v]);
      std::printf("%-28s %-30s %9.2f %9.2f %9.2f %9.2f\n", v == 0 ? c.name.c_str() : "",
                  c.variants[v].label.c_str(), w, u, w / ref_wall, u / ref_cpu);
    }
  }
  std::printf("\nx = time relative to monitoring-plugins (below 1.00: mailprobe is faster)\n");
  return 0;
}
