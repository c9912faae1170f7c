// rcsim: a virtual eMRTD chip for vsmartcard's vpcd reader driver, so that
// tests run through the real pcscd. See tools/rcsim/chip.hpp.
//
//   rcsim [--host 127.0.0.1] [--port 35963] [--card-profile rcsim|jmrtd-applet]
//         [--state FILE] [--vanish-after N] [--fail APDUPREFIX=SW]... [--no-extended]
//         [--max-chunk N] [--memory BYTES] [--response-chunk N] [--date YYYY-MM-DD] [--once]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <thread>

#include "rcsim/chip.hpp"

namespace {

bool read_exact(int fd, std::uint8_t* buf, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    // vpcd sends length and body in two writes; without a prompt ACK of the
    // first, its Nagle holds the second for the peer's delayed ACK (~40 ms).
    // The kernel clears QUICKACK on its own, so it is set before every read.
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
    ssize_t r = ::recv(fd, buf + got, n - got, 0);
    if (r == 0) return false;
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    got += static_cast<std::size_t>(r);
  }
  return true;
}

bool send_message(int fd, const rcsim::Bytes& payload) {
  rcsim::Bytes msg = {static_cast<std::uint8_t>(payload.size() >> 8),
                      static_cast<std::uint8_t>(payload.size())};
  msg.insert(msg.end(), payload.begin(), payload.end());
  std::size_t sent = 0;
  while (sent < msg.size()) {
    ssize_t r = ::send(fd, msg.data() + sent, msg.size() - sent, MSG_NOSIGNAL);
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    sent += static_cast<std::size_t>(r);
  }
  return true;
}

int connect_to(const std::string& host, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    return -2;
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
               sizeof one);  // vpcd's two-part writes otherwise cost ~40 ms
  return fd;
}

rcsim::Bytes parse_hex(const std::string& s) {
  rcsim::Bytes out;
  if (s.size() % 2 != 0) throw CLI::ValidationError("hex", "odd number of hex digits in " + s);
  for (std::size_t i = 0; i < s.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  return out;
}

int rcsim_main(int argc, char** argv) {
  CLI::App app{"rcsim: virtual eMRTD chip for the vpcd virtual reader (tests and demos)"};
  std::string host = "127.0.0.1";
  int port = 35963;
  std::string profile = "rcsim";
  rcsim::ChipOptions options;
  std::vector<std::string> fails;
  bool no_extended = false;
  bool once = false;
  app.add_option("--host", host, "vpcd host (an IPv4 address)")->capture_default_str();
  app.add_option("--port", port, "vpcd port: 35963 for reader slot 0, 35964 for slot 1")
      ->capture_default_str();
  app.add_option("--card-profile", profile, "rcsim or jmrtd-applet")->capture_default_str();
  app.add_option("--state", options.state_file, "Keep the card's contents in this file (survives restarts)");
  app.add_option("--vanish-after", options.vanish_after, "Disappear after N APDUs, like a card pulled out");
  std::string vanish_on;
  app.add_option("--vanish-on", vanish_on,
                 "Disappear right after carrying out the first command starting with APDUPREFIX (hex), "
                 "e.g. 00DADEAD: the lock took, its answer is lost");
  std::string vanish_before;
  app.add_option("--vanish-before", vanish_before,
                 "Disappear when the first command starting with APDUPREFIX (hex) comes, before carrying it "
                 "out, e.g. 00DADEAD: pulled out just before its lock");
  app.add_option("--fail", fails,
                 "Answer commands starting with APDUPREFIX (hex) with SW (hex), e.g. 00DADEAD=6581");
  app.add_flag("--no-extended", no_extended, "Refuse extended-length APDUs");
  app.add_option("--max-chunk", options.max_chunk, "Largest UPDATE/READ BINARY data accepted");
  app.add_option("--memory", options.memory, "File memory in bytes");
  app.add_flag("--exact-le", options.exact_le, "Answer READ BINARY past the end of a file with 6Cxx");
  app.add_flag("--past-end-6b00", options.past_end_6b00,
               "Answer READ BINARY past the end of a file with 6B00");
  app.add_option("--response-chunk", options.response_chunk,
                 "Send response data longer than N bytes as 61xx for GET RESPONSE, like a T=0 card");
  app.add_flag("--cloned", options.cloned,
               "Behave like a cloned chip: Chip Authentication with a key other than DG14's");
  app.add_option("--date", options.date,
                 "The chip's current date for Terminal Authentication (default: the system date)")
      ->check([](const std::string& d) {
        return rcsim::parse_iso_date(d) ? std::string() : std::string("expected a date YYYY-MM-DD");
      });
  app.add_flag("--once", once, "Exit when the reader connection ends instead of reconnecting");
  try {
    app.parse(argc, argv);
    for (const auto& f : fails) {
      auto eq = f.find('=');
      if (eq == std::string::npos) throw CLI::ValidationError("--fail", "expected APDUPREFIX=SW, got " + f);
      auto sw = parse_hex(f.substr(eq + 1));
      if (sw.size() != 2) throw CLI::ValidationError("--fail", "SW must be 4 hex digits in " + f);
      options.fail_on.emplace_back(parse_hex(f.substr(0, eq)),
                                   static_cast<std::uint16_t>((sw[0] << 8) | sw[1]));
    }
    if (!vanish_on.empty()) options.vanish_on = parse_hex(vanish_on);
    if (!vanish_before.empty()) options.vanish_before = parse_hex(vanish_before);
    if (profile == "jmrtd-applet") {
      options.jmrtd_applet = true;
      options.extended_length = false;
      options.max_file_size = 32767;
      options.max_chunk = std::min<std::size_t>(options.max_chunk, 255);
    } else if (profile != "rcsim") {
      throw CLI::ValidationError("--card-profile",
                                 "unknown card profile " + profile + " (rcsim, jmrtd-applet)");
    }
    if (no_extended) options.extended_length = false;
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  try {
    rcsim::Chip chip(options);
    std::cerr << "rcsim: " << profile << " card, " << rcsim::lifecycle_name(chip.lifecycle())
              << ", connecting to " << host << ":" << port << "\n";
    for (;;) {
      int fd = connect_to(host, port);
      if (fd == -2) {
        std::cerr << "rcsim: " << host << " is not an IPv4 address\n";
        return 2;
      }
      if (fd < 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      for (;;) {
        std::uint8_t len_bytes[2];
        if (!read_exact(fd, len_bytes, 2)) break;
        std::size_t len = (static_cast<std::size_t>(len_bytes[0]) << 8) | len_bytes[1];
        rcsim::Bytes msg(len);
        if (len > 0 && !read_exact(fd, msg.data(), len)) break;
        if (len == 1) {
          switch (msg[0]) {
            case 0x01:  // power on
            case 0x02:  // reset
              chip.power_on();
              break;
            case 0x04:
              if (!send_message(fd, chip.atr())) goto disconnected;
              break;
            default:
              break;  // power off
          }
          continue;
        }
        rcsim::Bytes response = chip.process(msg);
        if (chip.vanished()) {
          std::cerr << "rcsim: vanishing (card pulled out)\n";
          ::close(fd);
          return 0;
        }
        if (!send_message(fd, response)) break;
      }
    disconnected:
      ::close(fd);
      if (once) return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "rcsim: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return rcsim_main(argc, argv);
  } catch (...) {
    std::fputs("rcsim: internal error\n", stderr);
    return 1;
  }
}
