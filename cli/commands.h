// Subcommands of the `meshwasm` command. Each lives in its own <name>_command.cc.
#pragma once

namespace meshwasm::cli {

// argv[0] is the subcommand name; the functions return the process exit code.
int replayCommand(int argc, char** argv);    // meshwasm replay
int runCommand(int argc, char** argv);       // meshwasm run
int compileCommand(int argc, char** argv);   // meshwasm compile
int imageCommand(int argc, char** argv);     // meshwasm image build|push|pull
int manifestCommand(int argc, char** argv);  // meshwasm manifest

}  // namespace meshwasm::cli
