/**
 * Lowering of what runs around the tile ops: structured control flow ({@link
 * dev.tessera.cuda.codegen.control.ControlRules}: for, while, if, and region bodies such as a
 * combine function inlined by a reduction), the program's place in the grid ({@link
 * dev.tessera.cuda.codegen.control.ProgramRules}), and device assertions and printing ({@link
 * dev.tessera.cuda.codegen.control.DebugRules}, with the {@link dev.tessera.cuda.codegen.control.DebugSites}
 * the host reads a fault's message from).
 *
 * <p>Invariant: every condition, bound and step is a scalar, the same in every thread of a
 * program, so a branch never diverges inside a program and a barrier inside a loop or branch is
 * reached by all of its threads. Pipelined loops are lowered with the dots they feed
 * ({@code codegen.dot}); this package only lowers the loops the GPU IR keeps as they are.
 */
package dev.tessera.cuda.codegen.control;
