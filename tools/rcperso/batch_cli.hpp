// rcperso batch (orders across readers, journaled) and rcperso journal
// (list, export, resolve): the command-line side of issuance/batch.hpp.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace rcperso::cli {

struct BatchArgs {
  std::string orders;
  std::string readers;  // "all" or a comma-separated list of names, unique parts or indexes
  std::string profile = "dk-residence-card";
  std::string signer;
  std::string cvca;
  bool production = false;
  bool keys_on_chip = false;
  bool test_run = false;  // the operator's word that TEST ONLY sample keys are meant
  std::string html_dir;
  std::string card_profile;
  std::vector<std::string> csca;
  std::vector<std::string> crl;
  std::string journal;
  int retries = 2;
  std::string operator_name;
  std::string station;
  double idle_exit = 0;
  double wait_others = 120;
};

struct JournalArgs {
  std::string journal;
  std::string state;
  std::string format = "csv";
  std::string order;
  std::string resolve_as;
  std::string reason;
  std::string operator_name;
  CLI::App* list = nullptr;
  CLI::App* exporter = nullptr;
  CLI::App* resolve = nullptr;
};

CLI::App* add_batch_command(CLI::App& app, BatchArgs& args);
CLI::App* add_journal_command(CLI::App& app, JournalArgs& args);
int run_batch_command(const BatchArgs& args);
int run_journal_command(const JournalArgs& args);

}  // namespace rcperso::cli
