// A growable array whose growth is a return value: std::vector throws
// bad_alloc on a failed growth, which with exceptions off is abort(). Used
// for the tables that grow with the number of connections a peer can open.
// Trivially copyable elements only (they move with realloc).
#pragma once
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "alloc.h"

namespace qrpc {

template <class T>
class CheckedArray {
  static_assert(std::is_trivially_copyable<T>::value, "CheckedArray moves elements with realloc");

 public:
  CheckedArray() = default;
  CheckedArray(const CheckedArray&) = delete;
  CheckedArray& operator=(const CheckedArray&) = delete;
  ~CheckedArray() { free(data_); }

  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  void clear() { size_ = 0; }

  // Capacity for at least n elements; false (nothing changed) when memory is short.
  bool TryReserve(size_t n) {
    if (n <= cap_) return true;
    size_t cap = cap_ < 16 ? 16 : cap_;
    while (cap < n) cap *= 2;
    if (cap > SIZE_MAX / sizeof(T)) return false;
    T* p = static_cast<T*>(TryRealloc(data_, cap * sizeof(T)));
    if (p == nullptr) return false;
    data_ = p;
    cap_ = cap;
    return true;
  }

  // Appends within the reserved capacity; callers that reserved first never see false.
  bool TryPush(const T& v) {
    if (size_ == cap_ && !TryReserve(size_ + 1)) return false;
    data_[size_++] = v;
    return true;
  }

  // Drops the first n elements (the free list's consumed head).
  void EraseFront(size_t n) {
    if (n >= size_) {
      size_ = 0;
      return;
    }
    memmove(data_, data_ + n, (size_ - n) * sizeof(T));
    size_ -= n;
  }

  void Swap(CheckedArray& o) {
    T* d = data_;
    size_t s = size_, c = cap_;
    data_ = o.data_, size_ = o.size_, cap_ = o.cap_;
    o.data_ = d, o.size_ = s, o.cap_ = c;
  }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
  size_t cap_ = 0;
};

}  // namespace qrpc
